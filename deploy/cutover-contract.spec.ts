import { envContractProblems } from './cutover-contract';
import { SpillwayDefinition } from './model/definition';
import { spillway } from './spillway';

function changed(edit: (d: SpillwayDefinition) => void): SpillwayDefinition {
  const def = structuredClone(spillway);
  edit(def);
  return def;
}

describe("cutover preflight: the targets' env contract", () => {
  it('the shipped definition agrees: low runs on Lambda on EKS, so the pods leave it out, and that is no difference', () => {
    expect(spillway.services[1].lambda?.lanes).toEqual(['low']);
    expect(envContractProblems(spillway)).toEqual([]);
  });

  it('a plain variable set for one target only is a difference', () => {
    expect(envContractProblems(changed((d) => (d.targets.eks.env.LOG_LEVEL = 'debug')))).toEqual([
      'absorber: LOG_LEVEL differs between targets (info vs debug)',
      'worker: LOG_LEVEL differs between targets (info vs debug)',
    ]);
  });

  it('the target-specific variables (the broker and where it is) may differ', () => {
    expect(envContractProblems(changed((d) => (d.targets.eks.env.SQS_ENDPOINT = 'http://127.0.0.1:4566')))).toEqual([]);
  });
});
