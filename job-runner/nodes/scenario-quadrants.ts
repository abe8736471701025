/**
 * Which scenario node owns which quadrant of the 2×2. Axis 1 runs left (low
 * pole) to right (high pole); axis 2 runs bottom (low) to top (high):
 *
 *            axis1 low     axis1 high
 * axis2 high  scenario_c    scenario_d
 * axis2 low   scenario_a    scenario_b
 */
import { SCENARIO_NODES } from '../../shared/domain/scenarioforge-pipeline.ts';

export type ScenarioNodeId = (typeof SCENARIO_NODES)[number];
export type Pole = 'low' | 'high';

export interface Quadrant {
  axis1: Pole;
  axis2: Pole;
  position: 'bottom-left' | 'bottom-right' | 'top-left' | 'top-right';
}

export const SCENARIO_QUADRANTS: Readonly<Record<ScenarioNodeId, Quadrant>> = {
  scenario_a: { axis1: 'low', axis2: 'low', position: 'bottom-left' },
  scenario_b: { axis1: 'high', axis2: 'low', position: 'bottom-right' },
  scenario_c: { axis1: 'low', axis2: 'high', position: 'top-left' },
  scenario_d: { axis1: 'high', axis2: 'high', position: 'top-right' },
};

export { SCENARIO_NODES };
