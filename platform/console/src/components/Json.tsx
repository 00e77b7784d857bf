import { Code } from '@mantine/core';

export function Json({ value }: { value: unknown }) {
  return (
    <Code block className="json">
      {value === undefined ? '—' : JSON.stringify(value, null, 2)}
    </Code>
  );
}
