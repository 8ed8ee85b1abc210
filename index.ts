import { deployedState } from "./domain/deployed-state";
import { loadStackConfig } from "./stacks/config";
import {
    DEPLOYED_STATE_OUTPUT,
    checkDeployment,
    readPreviousDeployment,
    recordOnceDeployed,
} from "./stacks/deployed-state";
import { buildPlatform, stackOutputs } from "./stacks/platform";
import { tagEveryResource } from "./stacks/tagging";

/**
 * The config is read and checked against what the stack's last update
 * deployed before any resource is registered: a refused change registers
 * nothing. Pulumi awaits the exported promise; the stack's outputs are its
 * value, and which ones exist depends on what the stack runs.
 */
async function main() {
    const config = loadStackConfig();
    tagEveryResource(config.project, config.stack, config.tags);
    checkDeployment(await readPreviousDeployment(), config);
    const record = recordOnceDeployed(deployedState(config));
    const outputs = stackOutputs(buildPlatform(config));
    return { ...outputs, [DEPLOYED_STATE_OUTPUT]: record() };
}

export = main();
