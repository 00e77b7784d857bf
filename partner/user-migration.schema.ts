import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

// P6: Webex identities that exist outside any partner org (consumer, free, trial accounts) and the
// consent-based moves of them into customer orgs; and Provision Admin First holds (P3).

export const webexIdentities = pgTable('partner_webex_identities', {
  id: uuid('id').primaryKey(),
  /** Lower-cased. */
  email: text('email').notNull().unique(),
  displayName: text('display_name').notNull(),
  /** consumer | free | trial */
  kind: text('kind').notNull(),
  /** argon2 hash of the account's Webex password (the user signs in to consent). */
  passwordHash: text('password_hash').notNull(),
  /** active | moved (the old account was deleted and the user provisioned with the same email) */
  state: text('state').notNull().default('active'),
  movedToOrgId: uuid('moved_to_org_id'),
  movedAt: timestamp('moved_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
});

/** A subscriber in pending_user_migration waits here for its user's consent. */
export const userMigrations = pgTable(
  'partner_user_migrations',
  {
    subscriberId: uuid('subscriber_id').primaryKey(),
    identityId: uuid('identity_id').notNull(),
    email: text('email').notNull(),
    /** pending | accepted | declined | expired */
    state: text('state').notNull(),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
  },
  (t) => [index('partner_user_migrations_state_idx').on(t.state, t.expiresAt)],
);

/** Provision Admin First: a subscriber held until its enterprise's first subscriber is provisioned. */
export const activationHolds = pgTable(
  'partner_activation_holds',
  {
    subscriberId: uuid('subscriber_id').primaryKey(),
    spEnterpriseId: text('sp_enterprise_id').notNull(),
    waitingFor: uuid('waiting_for').notNull(),
    heldAt: timestamp('held_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('partner_activation_holds_enterprise_idx').on(t.spEnterpriseId)],
);
