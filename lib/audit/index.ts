export { recordAudit } from './record-audit';
export type { AuditEventInput } from './record-audit';
