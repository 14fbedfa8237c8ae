import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { logFormatOf, prettyLogger } from './log-format.js';

describe('log format', () => {
  it('pretty on a terminal, JSON otherwise, unless LOG_FORMAT says', () => {
    assert.equal(logFormatOf(undefined, true), 'pretty');
    assert.equal(logFormatOf('', false), 'json');
    assert.equal(logFormatOf('json', true), 'json');
    assert.equal(logFormatOf(' Pretty ', false), 'pretty');
    assert.throws(() => logFormatOf('yaml', true), /LOG_FORMAT must be json or pretty/);
  });

  it('the pretty logger writes readable lines, redacted as the JSON ones', () => {
    let text = '';
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString();
        done();
      },
    });
    prettyLogger({ level: 'info', redact: ['password'] }, out).info({ requestId: 'abc-1', password: 'hunter2' }, 'request');
    assert.match(text, /INFO.*request/);
    assert.match(text, /requestId: "abc-1"/);
    assert.doesNotMatch(text, /hunter2/);
    assert.throws(() => JSON.parse(text.split('\n')[0]!));
  });
});
