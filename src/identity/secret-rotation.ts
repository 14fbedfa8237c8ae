/**
 * `roster secrets rotate`: re-seals every value kept under the installation key (Chatwoot access and
 * pubsub tokens, agent bot tokens, webhook signing secrets) in one transaction, so that either all
 * of them move to the new key or none does. The values themselves do not change: no client notices,
 * and no event is recorded (as for a migration).
 */
import { SecretBox } from '../infra/secret-box.js';
import type { Db } from '../store/db.js';
import { listSealed, replaceSealed, SEALED_COLUMNS } from '../store/sealed-values.js';
import { inTransaction } from '../store/transaction.js';

export interface RotationResult {
  /** The id of the key every value is now sealed with. */
  keyId: string;
  /** How many values were re-sealed, and how many were already under that key. */
  resealed: number;
  unchanged: number;
}

export class SecretRotation {
  constructor(
    private readonly db: Db,
    /** The installation's box: its key and the previous keys (ROSTER_SECRET_KEY_PREVIOUS) open. */
    private readonly secrets: SecretBox,
  ) {}

  /**
   * With `newKey`, re-seals every value under it; without, re-seals the values sealed under a
   * previous key with the current one. A value that no key at hand opens fails the whole run
   * (SecretBoxError), and nothing is written.
   */
  async rotate(newKey?: Buffer): Promise<RotationResult> {
    const target = newKey ? new SecretBox(newKey) : this.secrets;
    return inTransaction(this.db.kysely, async (trx) => {
      let resealed = 0;
      let unchanged = 0;
      for (const c of SEALED_COLUMNS) {
        for (const { id, sealed } of await listSealed(trx, c)) {
          if (!target.isStale(sealed)) {
            unchanged++;
            continue;
          }
          if (await replaceSealed(trx, c, id, sealed, target.seal(this.secrets.open(sealed)))) resealed++;
        }
      }
      return { keyId: target.keyId, resealed, unchanged };
    });
  }
}
