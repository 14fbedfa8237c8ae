import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createProgress, formatDuration, formatFailure, formatSummary, formatWarnings, progressLine } from './progress.js';

/** A stream that says it is (or is not) a terminal, and keeps what is written to it. */
function terminal(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new PassThrough();
  stream.on('data', (c: Buffer) => chunks.push(c));
  Object.assign(stream, { isTTY, columns: 120 });
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => Buffer.concat(chunks).toString('utf8') };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('progress', () => {
  it('writes nothing when the stream is not a terminal', async () => {
    const out = terminal(false);
    const p = createProgress({ stream: out.stream, totalBytes: 1000 });
    assert.equal(p.active, false);
    p.update(10, 100);
    p.stop();
    await tick();
    assert.equal(out.text(), '');
  });

  it('draws a bar with rows, rate, percentage and ETA on a terminal, and ends the line on stop', async () => {
    const out = terminal(true);
    let clock = 0;
    const p = createProgress({ stream: out.stream, totalBytes: 1000, label: 'users', now: () => clock });
    assert.equal(p.active, true);
    clock = 2000;
    p.update(5000, 500);
    p.stop();
    p.stop();
    p.update(6000, 600);
    await tick();
    const text = out.text();
    assert.match(text, /users .* 50% \| 5,000 rows \| 2,500 rows\/s \| ETA /);
    assert.ok(text.endsWith('\n'));
    assert.doesNotMatch(text, /6,000/);
  });

  it('without a total shows rows, rate and elapsed time', async () => {
    const out = terminal(true);
    let clock = 0;
    const p = createProgress({ stream: out.stream, now: () => clock });
    clock = 4000;
    p.update(1000);
    p.stop();
    await tick();
    assert.match(out.text(), /import 1,000 rows \| 250 rows\/s \| 4s/);
    assert.doesNotMatch(out.text(), /%/);
  });

  it('formats the line and durations', () => {
    assert.equal(
      progressLine({ label: 'users', rows: 120000, elapsedMs: 8000, fraction: 0.424, etaSeconds: 9, bar: '[##--]' }),
      'users [##--] 42% | 120,000 rows | 15,000 rows/s | ETA 9s',
    );
    assert.equal(progressLine({ label: 'users', rows: 0, elapsedMs: 0, fraction: 0, bar: '[----]' }), 'users [----] 0% | 0 rows | 0 rows/s | ETA --');
    assert.equal(progressLine({ label: 'widget users', rows: 10, elapsedMs: 65000 }), 'widget users 10 rows | 0 rows/s | 1m05s');
    assert.deepEqual([formatDuration(0), formatDuration(59.6), formatDuration(61), formatDuration(3600 + 300)], ['0s', '1m00s', '1m01s', '1h05m']);
  });
});

describe('summary', () => {
  it('gives the counts, then each failure by line', () => {
    const text = formatSummary({
      created: 1200,
      updated: 3,
      unchanged: 0,
      failed: [
        { line: 9, field: null, message: 'is not valid UTF-8' },
        { line: 4, field: 'email', message: 'is not a valid email address' },
      ],
    });
    assert.equal(text, 'created 1,200, updated 3, unchanged 0, failed 2\n  line 4: email is not a valid email address\n  line 9 is not valid UTF-8\n');
  });

  it('says nothing was written on a dry run', () => {
    assert.equal(
      formatSummary({ created: 2, updated: 1, unchanged: 5, failed: [] }, { dryRun: true }),
      'dry run, nothing written: would create 2, would update 1, unchanged 5, failed 0\n',
    );
  });

  it('lists at most maxFailures failures, then how many more', () => {
    const failed = Array.from({ length: 5 }, (_, i) => ({ line: i + 2, field: 'email', message: 'is required' }));
    const text = formatSummary({ created: 0, updated: 0, unchanged: 0, failed }, { maxFailures: 2 });
    assert.equal(text.split('\n').length, 5);
    assert.match(text, /line 3: email is required\n {2}… and 3 more \(--json lists them all\)\n$/);
  });

  it('shows control characters from the file as escapes, so a file cannot drive the terminal', () => {
    const line = formatFailure({ line: 3, field: 'na\u001bme', message: 'entry "\u001b[2J\u009b\u202e": bad\r\n' });
    assert.equal(line, 'line 3: na\\u001bme entry "\\u001b[2J\\u009b\\u202e": bad\\u000d\\u000a');
  });

  it('lists ignored columns as warnings', () => {
    assert.equal(
      formatWarnings([{ column: 'Email', line: 1, message: 'is not a column the import reads; it is ignored (did you mean email?)' }]),
      'warning: column "Email" (first on line 1) is not a column the import reads; it is ignored (did you mean email?)\n',
    );
    assert.equal(formatWarnings([]), '');
  });
});
