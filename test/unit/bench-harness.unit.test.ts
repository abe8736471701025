/**
 * The benchmarks' shared harness: repetitions interleave their phases and drop
 * the warm-up rounds (collecting before each phase when asked), ratios pair
 * samples of the same repetition, and a section lays out its blocks as every
 * benchmark's Markdown always has.
 */
import { expect } from 'chai';
import { allMet, interleaved, msWithSpread, ratios, section, table, verdict } from '../../scripts/bench/harness.ts';

describe('bench harness', () => {
  it('interleaves the phases in order, collects before each, and drops the warm-up rounds', async () => {
    const calls: string[] = [];
    let n = 0;
    const samples = await interleaved({ reps: 2, warmup: 1, gc: () => calls.push('gc') }, {
      a: () => (calls.push('a'), ++n),
      b: async () => (calls.push('b'), ++n),
    });
    expect(calls).to.deep.equal(['gc', 'a', 'gc', 'b', 'gc', 'a', 'gc', 'b', 'gc', 'a', 'gc', 'b']);
    expect(samples).to.deep.equal({ a: [3, 5], b: [4, 6] });
  });

  it('pairs ratios by repetition, or divides by one baseline', () => {
    expect(ratios([2, 9], [1, 3])).to.deep.equal([2, 3]);
    expect(ratios([2, 4], 2)).to.deep.equal([1, 2]);
  });

  it('writes medians with spreads, verdicts, tables and sections in the one Markdown form', () => {
    expect(msWithSpread([3, 1, 2])).to.equal('2.00 ms [1.00–3.00]');
    expect(verdict({ text: '≤ 1.3×', met: true })).to.equal('≤ 1.3× ✅');
    expect(verdict({ text: '≤ 1.3×', met: false })).to.equal('≤ 1.3× ❌');
    expect(allMet([null, { text: 'x', met: true }])).to.equal(true);
    expect(allMet([{ text: 'x', met: false }])).to.equal(false);
    const t = table(['a', 'b'], [[1, '']]);
    expect(t).to.equal('| a | b |\n|---|---|\n| 1 |  |');
    expect(section('Title', 'setup line', t, 'a note')).to.equal(`### Title\nsetup line\n\n${t}\n\na note`);
  });
});
