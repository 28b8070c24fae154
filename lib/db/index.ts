export { createDb } from './create-db';
export type { CreateDbOptions, Db, Tx } from './create-db';
export { migrateDeploy, migrationStatus } from './migrate';
export type { MigrationStatus } from './migrate';
export { runPrismaCli } from './prisma-cli';
export { Prisma, PrismaClient } from './generated/client';
export * from './generated/enums';
export type * from './generated/models';
