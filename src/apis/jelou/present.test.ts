import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Principal } from '../../identity/credentials.js';
import type { WidgetUserRecord } from '../../identity/widget-users.js';
import { presentWidgetUser } from './present.js';

const COLORS = ['#F5A623', '#4A90E2', '#7ED321', '#BD10E0', '#50E3C2', '#D0021B', '#9013FE', '#417505'];
const at = '2026-12-01T00:00:00.000Z';
const room = (kind: 'personal' | 'group', id: string) => ({ oid: `oid-${kind}`, id, kind, name: kind, lastMessageAt: at, createdAt: at, updatedAt: at });
const user = (referenceId: string): WidgetUserRecord => ({
  id: 7,
  botId: 'bot-1',
  companyId: 3,
  referenceId,
  names: 'Ana',
  legalId: null,
  socketId: 'socket',
  providerId: 'provider',
  groupId: 'group',
  createdAt: at,
  updatedAt: at,
  rooms: { personal: room('personal', `G:bot-1:${referenceId}`), group: room('group', 'GR:bot-1:group') },
});
const principal = { botId: 'bot-1', botName: 'Bot', companyId: 3, companyName: 'Acme' } as Principal;

describe('presentWidgetUser', () => {
  it("gives a user the color it has always had (SHA-1's first byte of the id), the same in both rooms", () => {
    for (const id of ['ana', 'seed-1', 'seed-2', 'user-ñandú', '42', 'x'.repeat(255)]) {
      const expected = COLORS[createHash('sha1').update(id).digest()[0]! % COLORS.length];
      const { data } = presentWidgetUser(user(id), principal);
      assert.equal(data.Room.membersInfo[0]!.color, expected, id);
      assert.equal(data.groupRoom.membersInfo[0]!.color, expected, id);
    }
  });
});
