import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearchParams } from 'react-router';
import { Alert, Anchor, Button, Center, Group, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { ApiError, signIn } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';

// Only a path on this site: `next` must not send the user elsewhere after signing in.
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/';
}

export function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');

  useEffect(() => {
    document.title = 'Sign in · Switchboard';
  }, []);

  const login = useMutation({
    mutationFn: () => signIn(username.trim(), password),
    onSuccess: () => {
      // Nothing cached for a previous user may show to this one.
      queryClient.clear();
      void navigate(safeNext(params.get('next')), { replace: true });
    },
    onError: () => setPassword(''),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate();
  };

  const wrongCredentials = login.error instanceof ApiError && login.error.code === 'INVALID_CREDENTIALS';

  return (
    <Center component="main" mih="100vh" bg="#f5f7fa" p="md">
      <Paper component="form" onSubmit={submit} aria-labelledby="login-title" w={380} shadow="sm" p="xl">
        <Stack gap="md">
          <Group gap={8}>
            <span className="brand-mark" aria-hidden="true">
              SB
            </span>
            <Text fw={650}>Switchboard</Text>
          </Group>
          <Title order={1} fz={24} id="login-title">
            Sign in
          </Title>
          {params.get('expired') && !login.error && (
            <Alert color="blue" variant="light" role="status">
              Your session has ended. Sign in again to continue.
            </Alert>
          )}
          {params.get('signedOut') && !login.error && (
            <Alert color="blue" variant="light" role="status">
              You have signed out.
            </Alert>
          )}
          {login.error && <ErrorNotice error={login.error} title={wrongCredentials ? 'Sign-in failed' : 'Could not sign in'} />}
          <TextInput id="login-username" label="Username" name="username" autoComplete="username" autoFocus required value={username} onChange={(event) => setUsername(event.currentTarget.value)} />
          {/* A plain password input: Mantine's PasswordInput adds a toggle button also named "password". */}
          <TextInput id="login-password" label="Password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(event) => setPassword(event.currentTarget.value)} />
          <Button type="submit" fullWidth loading={login.isPending}>
            Sign in
          </Button>
          <Text size="xs" c="dimmed">
            Automating? Use an API token — see the <Anchor href="/api/docs">API documentation</Anchor>.
          </Text>
        </Stack>
      </Paper>
    </Center>
  );
}
