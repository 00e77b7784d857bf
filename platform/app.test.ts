import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSwitchboard } from './app.ts';
import type { AreaFactory } from './area.ts';
import { createTestDatabase } from '../test/support/test-database.ts';

// The first admin's password is shown once and stored nowhere in clear: a start that fails must
// not leave behind an admin whose password nobody saw.
test('a start that fails creates no first admin; the next successful start does, and shows it', async () => {
  const database = await createTestDatabase();
  try {
    const broken: AreaFactory = async () => ({
      name: 'broken',
      start: async () => {
        throw new Error('area failed to start');
      },
    });
    await assert.rejects(createSwitchboard({ config: database.config, areas: [broken], createFirstAdmin: true }), /area failed to start/);

    const sb = await createSwitchboard({ config: database.config, createFirstAdmin: true });
    try {
      assert.equal(sb.firstAdmin?.username, 'admin');
      assert.ok((sb.firstAdmin?.password.length ?? 0) >= 16);
      await sb.services.auth.login('admin', sb.firstAdmin!.password);
    } finally {
      await sb.close();
    }
  } finally {
    await database.drop();
  }
});
