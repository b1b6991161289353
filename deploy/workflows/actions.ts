// Third-party actions, pinned to a full commit SHA (a tag can be moved to other code; a SHA cannot).
// The version each SHA was released as is written beside it in the rendered files. The SHAs were
// read from public workflows that pin the same releases; bump them with a reviewed diff here.
export const ACTIONS = {
  checkout: { uses: 'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683', version: 'v4.2.2' },
  setupNode: { uses: 'actions/setup-node@39370e3970a6d050c480ffad4ff0ed4d3fdee5af', version: 'v4.1.0' },
  awsCredentials: { uses: 'aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502', version: 'v4.0.2' },
  ecrLogin: { uses: 'aws-actions/amazon-ecr-login@062b18b96a7aff071d4dc91bc00c4c1a7945b076', version: 'v2.0.1' },
} as const;

/** `uses: owner/repo@<sha>` -> the same line with `# vX.Y.Z` after it, for a reader of the YAML. */
export function annotateVersions(yaml: string): string {
  return Object.values(ACTIONS).reduce((text, a) => text.split(`uses: ${a.uses}\n`).join(`uses: ${a.uses} # ${a.version}\n`), yaml);
}
