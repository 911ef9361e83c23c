import { describe, expect, it } from 'vitest';
import { withDateHeader } from '../../cli/local/outbox.js';

const eml = [
  'Content-Type: multipart/alternative; boundary="b"',
  'From: Shop <offers@shop.example.com>',
  'Date: Thu, 03 Dec 2026 06:40:00 +0000',
  'Subject: Hello',
  '',
  'Date: this line is in the body and stays',
].join('\r\n');

describe('the outbox Date header', () => {
  it('replaces the emulator’s acceptance time with the moment the send stage asked for, in the header only', () => {
    const out = withDateHeader(Buffer.from(eml), 'Thu, 03 Dec 2026 14:00:01 +0000').toString();
    expect(out).toContain('\r\nDate: Thu, 03 Dec 2026 14:00:01 +0000\r\nSubject: Hello');
    expect(out).not.toContain('06:40:00');
    expect(out).toContain('\r\n\r\nDate: this line is in the body and stays');
  });

  it('adds one when the message has none', () => {
    const out = withDateHeader(Buffer.from('Subject: x\r\n\r\nbody'), 'Thu, 03 Dec 2026 14:00:01 +0000');
    expect(out.toString()).toBe('Date: Thu, 03 Dec 2026 14:00:01 +0000\r\nSubject: x\r\n\r\nbody');
  });
});
