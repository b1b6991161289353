// The cost report's files as synth outputs: docs/cost/cost.md and cost.svg follow the definition,
// the committed bench results and the price table; `synth --check` fails when any of them moved.
import { SpillwayDefinition } from '../model/definition';
import { renderCostChart } from './chart';
import { readMeasured } from './measured';
import { costReport } from './plan';
import { COST_REPORT_PATHS, renderCostMarkdown } from './report';

export function renderCostOutputs(def: SpillwayDefinition, root: string): Record<string, string> {
  const measured = readMeasured(root);
  const report = costReport(def, measured);
  return {
    [COST_REPORT_PATHS.markdown]: renderCostMarkdown(def, measured, report),
    [COST_REPORT_PATHS.chart]: renderCostChart(report),
  };
}
