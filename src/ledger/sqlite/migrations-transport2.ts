/**
 * Ledger schema step 8: why a destination refused a delivery after it took the message (see
 * migrations.ts for the rules; step 6 added the other transport columns).
 *
 * - `remote_detail`: the destination's reason next to `remote_status` (СМЭВ `RequestRejected`
 *   codes, `requestIsRejectedBySmev` fault codes, the provider's per-record `reasonCode`). Codes
 *   and short reasons only, never payload; shown by `diary-gateway deliveries` and the admin API.
 * - `deliveries_remote_open`: the poller asks "which messages still wait for an answer in one of
 *   these statuses since before T" every interval; with this index that is a range seek per
 *   status instead of a walk over every delivery the sink ever sent.
 */
export const TRANSPORT2_SQL = `
ALTER TABLE deliveries ADD COLUMN remote_detail TEXT;
CREATE INDEX deliveries_remote_open ON deliveries (sink_id, remote_status, remote_status_at) WHERE transport_id IS NOT NULL;
`;
