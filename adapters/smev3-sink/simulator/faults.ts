/**
 * Faults the СМЭВ simulator produces on demand. Besides the shared kinds (`slow`, `status` —
 * answered as a proxy would, with an HTML page and no SOAP —, `malformed` — a 200 that is
 * not XML —, `clear`), FaultSpec `custom` names:
 *
 * - `<Fault>` or `<Fault>@<Operation>`: answer the next `count` (default 1) calls of the
 *   operation (default SendRequest) with that СМЭВ fault, any of the 20 the WSDL declares;
 *   `SignatureVerificationFault:<code>` picks the signature code.
 * - `drop-connection`: take the next `count` SendRequests, then close the socket unanswered.
 * - `reject-entity:<entityType>`: the next `count` (default 1) records of that type become
 *   unacceptable to СМЭВ's registered XSD: every message holding them gets InvalidContent.
 * - `respond-rejected`: the next `count` accepted requests are answered by the provider with
 *   RequestRejected (NO_DATA) instead of a DiaryBatchResponse.
 * - `provider-reject:<entityType>`: the provider refuses the next `count` records of that type
 *   in its DiaryBatchResponse (`status="rejected" reasonCode="UNKNOWN_PERSON"`); they are not applied.
 * - `async-reject`: the next `count` requests pass the synchronous checks (SendRequest answers
 *   `requestIsQueued`) and then fail СМЭВ's asynchronous validation: nothing is applied, no
 *   answer is queued, GetStatus reports `requestIsRejectedBySmev` with a SmevFault.
 * - `mtom:never|get-response|always`: which answers are MTOM multipart (default get-response).
 * Natural faults (duplicate or stale MessageID, bad signature, invalid payload, EOL, sizes)
 * come from the requests themselves, not from here.
 */
import type { FaultSpec } from '../../../src/core/simulator';
import { SimFaultState, type OwnFaultSpec } from '../../../src/infra/sim/faults';
import { isEntityType } from '../../../src/core/records';
import { OPERATIONS, SIGNATURE_FAULT_CODES, isSmevFaultName, type Operation, type SignatureFaultCode, type SmevFaultName } from '../protocol';

export const SMEV3_FAULT_KINDS: readonly FaultSpec['kind'][] = ['slow', 'status', 'malformed', 'custom', 'clear'];
export const SMEV3_CUSTOM_FAULTS = [
  '<Fault>[@<Operation>]', 'SignatureVerificationFault:<code>[@<Operation>]', 'drop-connection', 'reject-entity:<entityType>',
  'respond-rejected', 'async-reject', 'provider-reject:<entityType>', 'mtom:never|get-response|always',
] as const;

export type MtomMode = 'never' | 'get-response' | 'always';

export interface InjectedFault { name: SmevFaultName; signatureCode?: SignatureFaultCode; left: number }

export class Smev3FaultState extends SimFaultState {
  private readonly byOp = new Map<Operation, InjectedFault[]>();
  private drops = 0;
  private rejectedResponses = 0;
  private asyncRejects = 0;
  private readonly providerRejects = new Map<string, number>();
  private readonly poisonBudget = new Map<string, number>();
  /** Record keys СМЭВ refuses until `clear`. */
  readonly poisoned = new Set<string>();

  constructor(public mtom: MtomMode = 'get-response') {
    super();
  }

  /** False for a kind the simulator cannot produce; throws for an unknown custom name. */
  inject(f: FaultSpec): boolean {
    if (f.kind === 'expire-sessions' || f.kind === 'shape-change') return false;
    this.apply(f);
    return true;
  }

  protected applyOwn(f: OwnFaultSpec): void {
    if (f.kind !== 'custom') return;
    const count = f.count ?? 1;
    const [base = '', op = 'SendRequest'] = f.name.split('@');
    if (!(OPERATIONS as readonly string[]).includes(op)) throw new Error(`unknown operation '${op}' in fault '${f.name}'`);
    const [fault = '', sig] = base.split(':');
    if (isSmevFaultName(fault) && (sig === undefined || fault === 'SignatureVerificationFault')) {
      if (sig !== undefined && !(SIGNATURE_FAULT_CODES as readonly string[]).includes(sig)) throw new Error(`unknown signature fault code '${sig}'`);
      const list = this.byOp.get(op as Operation) ?? [];
      list.push({ name: fault, ...(sig ? { signatureCode: sig as SignatureFaultCode } : {}), left: count });
      this.byOp.set(op as Operation, list);
      return;
    }
    if (base === 'drop-connection') { this.drops += count; return; }
    if (base === 'respond-rejected') { this.rejectedResponses += count; return; }
    if (base === 'async-reject') { this.asyncRejects += count; return; }
    if (fault === 'mtom' && (sig === 'never' || sig === 'get-response' || sig === 'always')) { this.mtom = sig; return; }
    if (fault === 'provider-reject' && sig !== undefined) {
      if (!isEntityType(sig)) throw new Error(`provider-reject: unknown entity type '${sig}'`);
      this.providerRejects.set(sig, (this.providerRejects.get(sig) ?? 0) + count);
      return;
    }
    if (fault === 'reject-entity' && sig !== undefined) {
      if (!isEntityType(sig)) throw new Error(`reject-entity: unknown entity type '${sig}'`);
      this.poisonBudget.set(sig, (this.poisonBudget.get(sig) ?? 0) + count);
      return;
    }
    throw new Error(`unknown custom fault '${f.name}'; known: ${SMEV3_CUSTOM_FAULTS.join(', ')}`);
  }

  override reset(): void {
    super.reset();
    this.byOp.clear();
    this.drops = 0;
    this.rejectedResponses = 0;
    this.asyncRejects = 0;
    this.providerRejects.clear();
    this.poisonBudget.clear();
    this.poisoned.clear();
  }

  /** The injected fault for this call of `op`, consuming one use. */
  takeFault(op: Operation): InjectedFault | undefined {
    const list = this.byOp.get(op);
    const f = list?.find((x) => x.left > 0);
    if (!f || !list) return undefined;
    f.left--;
    this.byOp.set(op, list.filter((x) => x.left > 0));
    return f;
  }

  takeDrop(): boolean {
    if (this.drops <= 0) return false;
    this.drops--;
    return true;
  }

  takeRejectedResponse(): boolean {
    if (this.rejectedResponses <= 0) return false;
    this.rejectedResponses--;
    return true;
  }

  takeAsyncReject(): boolean {
    if (this.asyncRejects <= 0) return false;
    this.asyncRejects--;
    return true;
  }

  /** Whether the provider refuses this record (consuming one use of `provider-reject:<type>`). */
  takeProviderReject(entityType: string): boolean {
    const left = this.providerRejects.get(entityType) ?? 0;
    if (left <= 0) return false;
    this.providerRejects.set(entityType, left - 1);
    return true;
  }

  /** Poisons records of the targeted types (consuming budget) and returns the positions of poisoned records in `records`. */
  poisonedIn(records: readonly { key: string; entityType: string }[]): number[] {
    const hits: number[] = [];
    records.forEach((r, i) => {
      const left = this.poisonBudget.get(r.entityType) ?? 0;
      if (!this.poisoned.has(r.key) && left > 0) {
        this.poisoned.add(r.key);
        this.poisonBudget.set(r.entityType, left - 1);
      }
      if (this.poisoned.has(r.key)) hits.push(i);
    });
    return hits;
  }
}
