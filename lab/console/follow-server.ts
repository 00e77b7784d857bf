import { useEffect } from 'react';

// A Lab form shows what the simulator holds now (another tester, the API or a restart may change
// it), but never throws away what the user is typing: it follows the server only while untouched.

/** The part of a @mantine/form form this needs. */
type Form<T> = { isDirty(): boolean; setInitialValues(values: T): void; setValues(values: T): void; resetDirty(values?: T): void };

export function useFollowServer<T>(form: Form<T>, values: T) {
  const key = JSON.stringify(values);
  useEffect(() => {
    if (form.isDirty()) return;
    form.setInitialValues(values);
    form.setValues(values);
    form.resetDirty(values);
  }, [key]);
}

/** After a save: what the server answered is the new clean state. */
export function settle<T>(form: Form<T>, values: T) {
  form.setInitialValues(values);
  form.setValues(values);
  form.resetDirty(values);
}
