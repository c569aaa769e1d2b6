import { describe, expect, it } from '@jest/globals';
import {
  checkTemplate,
  compileTemplate,
  DEFAULT_TEMPLATES,
  defaultTemplate,
  oneLine,
  renderTemplate,
} from './templates.js';
import { sampleScope } from './template-admin.js';
import { loadConfig } from '../config.js';

const config = loadConfig({ JWT_SECRET: 'x'.repeat(32) }).notify;

describe('templates', () => {
  it('every shipped template renders against the full sample scope', () => {
    for (const key of Object.keys(DEFAULT_TEMPLATES)) {
      const out = renderTemplate(defaultTemplate(key)!, sampleScope(config));
      expect(out.subject).toContain('TCK-000123');
      expect(out.text.length).toBeGreaterThan(10);
    }
  });

  it('escapes every output in the HTML part, not in the text part', () => {
    const t = compileTemplate({ subject: '{{ x }}', text: '{{ x }}', html: '<p>{{ x }}</p>' });
    const out = renderTemplate(t, { x: '<img src=x onerror=alert(1)>\r\nBcc: a@b.c' });
    expect(out.html).toBe('<p>&lt;img src=x onerror=alert(1)&gt;\r\nBcc: a@b.c</p>');
    expect(out.text).toBe('<img src=x onerror=alert(1)>\r\nBcc: a@b.c');
    expect(out.subject).toBe('<img src=x onerror=alert(1)> Bcc: a@b.c');
  });

  it('refuses a bad template with the part, line and column', () => {
    expect(
      checkTemplate(
        { subject: 'ok', text: 'a\n{% for x in y %}', html: '{{ x | shout }}' },
        sampleScope(config),
      ),
    ).toEqual([
      { field: 'text', message: 'line 2, column 1: tag {% for x in y %} not closed' },
      { field: 'html', message: 'line 1, column 1: undefined filter: shout' },
    ]);
  });

  it('stops a runaway render and an oversized one', () => {
    const loop = compileTemplate({
      subject: 's',
      text: '{% for i in (1..100000000) %}x{% endfor %}',
      html: '',
    });
    expect(() => renderTemplate(loop, {})).toThrow(/text/);
    const big = compileTemplate({ subject: 's', text: '{% for i in (1..300000) %}x{% endfor %}', html: '' });
    expect(() => renderTemplate(big, {})).toThrow(/more than 256 KB|text/);
  });

  it('oneLine removes control characters', () => {
    expect(oneLine('a\r\nb\u0000c\u2028d  ')).toBe('a b c d');
  });
});
