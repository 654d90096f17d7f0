/**
 * Ledger schema step 6: what a transport said about a delivery (see migrations.ts for the rules).
 *
 * - `transport_id`: the destination's own message id for this delivery, written BEFORE the send
 *   (the СМЭВ 3 MessageID), so a restart never sends the same content under another id.
 * - `sending_timestamp`: when the destination took the message by its own clock (СМЭВ 3
 *   `SendingTimestamp`); the start of the state side's SLA clock when present.
 * - `remote_status` / `remote_status_at`: the destination's latest processing status (СМЭВ
 *   GetStatus / GetResponse), e.g. `requestIsQueued`, `responseIsDelivered`, `rejected`.
 * - `acknowledged_at`: when the gateway acknowledged the destination's answer (СМЭВ Ack).
 */
export const TRANSPORT_SQL = `
ALTER TABLE deliveries ADD COLUMN transport_id TEXT;
ALTER TABLE deliveries ADD COLUMN sending_timestamp TEXT;
ALTER TABLE deliveries ADD COLUMN remote_status TEXT;
ALTER TABLE deliveries ADD COLUMN remote_status_at TEXT;
ALTER TABLE deliveries ADD COLUMN acknowledged_at TEXT;
CREATE INDEX deliveries_transport ON deliveries (sink_id, transport_id) WHERE transport_id IS NOT NULL;
`;
