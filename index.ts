import { loadStackConfig } from "./stacks/config";
import { buildPlatform, stackOutputs } from "./stacks/platform";

// The stack's outputs are this module's exports; which ones exist depends on what the stack runs.
export = stackOutputs(buildPlatform(loadStackConfig()));
