export declare const repoRoot: string;
export declare const demoLayersDir: string;
export declare const demoAdvisoriesDir: string;
export declare const DEMO_TAG: string;

export interface DemoLayer {
  /** the directory under examples/demo-image/layers/ */
  name: string;
  diffId: string;
  digest: string;
  size: number;
}

/** Writes the demo image as an OCI layout into `out` (an existing, empty directory). */
export declare function buildDemoImage(
  out: string,
  options?: { layersDir?: string },
): { target: string; layers: DemoLayer[] };
