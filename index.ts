import { loadStackConfig } from "./stacks/config";
import { buildPlatform, stackOutputs } from "./stacks/platform";

const outputs = stackOutputs(buildPlatform(loadStackConfig()));

export const loadBalancerUrl = outputs.loadBalancerUrl;
export const vpcId = outputs.vpcId;
export const databaseDnsName = outputs.databaseDnsName;
export const databaseSecretArn = outputs.databaseSecretArn;
