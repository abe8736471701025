import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { fingerprintKey, resolveGeminiKey } from '../../shared/security/gemini-key.ts';

const HEADER = 'AIzaSyHEADER-0000000000000000000000000';
const ENV = 'AIzaSyENV-11111111111111111111111111111';

describe('Gemini key resolution (unit)', () => {
  it('takes the header only when allowed, then env, then none', () => {
    const h = resolveGeminiKey({ headerKey: HEADER, allowHeader: true, envKey: ENV });
    expect(h.source).to.equal('header');
    expect(h.key).to.equal(HEADER);
    const e = resolveGeminiKey({ headerKey: HEADER, allowHeader: false, envKey: ENV });
    expect(e.source).to.equal('env');
    expect(e.key).to.equal(ENV);
    const n = resolveGeminiKey({ headerKey: HEADER, allowHeader: false });
    expect(n).to.deep.include({ source: 'none', fingerprint: null });
    expect(n.key).to.equal(null);
  });

  it('ignores blank keys and trims the rest', () => {
    expect(resolveGeminiKey({ headerKey: '   ', allowHeader: true, envKey: ` ${ENV}\n` })).to.deep.include({ source: 'env', key: ENV });
    expect(resolveGeminiKey({ headerKey: '', allowHeader: true, envKey: '' }).source).to.equal('none');
  });

  it('fingerprints as sha256: plus the first 8 hex digits', () => {
    const r = resolveGeminiKey({ allowHeader: false, envKey: ENV });
    expect(r.fingerprint).to.match(/^sha256:[0-9a-f]{8}$/);
    expect(r.fingerprint).to.equal(`sha256:${createHash('sha256').update(ENV).digest('hex').slice(0, 8)}`);
    expect(fingerprintKey(ENV)).to.equal(r.fingerprint);
    expect(resolveGeminiKey({ allowHeader: false, envKey: HEADER }).fingerprint).to.not.equal(r.fingerprint);
  });

  it('never shows the key when serialised, spread, listed or inspected', () => {
    const r = resolveGeminiKey({ headerKey: HEADER, allowHeader: true });
    expect(JSON.parse(JSON.stringify(r))).to.deep.equal({ source: 'header', fingerprint: r.fingerprint });
    expect(JSON.stringify({ llm: r })).to.not.include(HEADER);
    expect(Object.keys(r)).to.deep.equal(['source', 'fingerprint']);
    expect(JSON.stringify({ ...r })).to.not.include(HEADER);
    expect(inspect(r)).to.not.include(HEADER);
    expect(String(r)).to.not.include(HEADER);
    expect(() => {
      (r as { key: string | null }).key = 'changed';
    }).to.throw(TypeError);
  });
});
