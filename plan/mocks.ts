/**
 * Pulumi mocks that stand in for AWS: every resource "succeeds" with its inputs
 * plus the outputs the program reads (ids, ARNs, addresses). awsx components
 * are remote components that do not expand under mocks, so their outputs are
 * computed here from their inputs, as awsx itself would.
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";

export const MOCK_ACCOUNT_ID = "123456789012";
/** Regional ELB account for ap-northeast-2, as aws.elb.getServiceAccount returns it. */
export const MOCK_ELB_ACCOUNT_ARN = "arn:aws:iam::600734575887:root";

type State = Record<string, unknown>;

function digest(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}

/** The private address an instance gets under mocks, derived from its name. */
export function mockPrivateIp(name: string): string {
    const hash = parseInt(digest(name).slice(0, 6), 16);
    return `10.40.${(hash >> 8) % 250}.${(hash % 250) + 4}`;
}

/** The VPC id the awsx VPC named `name` gets under mocks. */
export function mockVpcId(name: string): string {
    return `vpc-${digest(name).slice(0, 12)}`;
}

function serviceOf(type: string): string {
    return type.split(":")[1].split("/")[0];
}

interface SubnetSpecInput {
    type: string;
    cidrBlocks?: string[];
}

/** The type token of the migration's gate (a dynamic resource), and when the mocks say it passed. */
export const MIGRATION_GATE_TYPE = "pulumi-nodejs:dynamic/migration:Gate";
export const MOCK_GATE_PASSED_AT = "2026-11-27T08:00:00.000Z";

/** The subnet ids the mocks give an awsx VPC's subnets of `type`, in AZ order. */
export function mockSubnetIds(vpcInputs: State, type: "Public" | "Private" | "Isolated"): string[] {
    const specs = (vpcInputs.subnetSpecs as SubnetSpecInput[] | undefined) ?? [];
    const spec = specs.find((s) => s.type === type);
    return (spec?.cidrBlocks ?? []).map((_, index) => `subnet-${type.toLowerCase()}-${index}`);
}

function vpcOutputs(name: string, inputs: State): State {
    const ids = (type: "Public" | "Private" | "Isolated") => mockSubnetIds(inputs, type);
    return {
        ...inputs,
        vpcId: mockVpcId(name),
        publicSubnetIds: ids("Public"),
        privateSubnetIds: ids("Private"),
        isolatedSubnetIds: ids("Isolated"),
    };
}

/** The CNAME record ACM asks for per name of a DNS-validated certificate. */
function acmValidationOptions(inputs: State): State[] {
    const names = [inputs.domainName, ...((inputs.subjectAlternativeNames as string[] | undefined) ?? [])];
    return names.map((domainName) => {
        const token = digest(`validation:${String(domainName)}`).slice(0, 32);
        return {
            domainName,
            resourceRecordName: `_${token}.${String(domainName)}.`,
            resourceRecordType: "CNAME",
            resourceRecordValue: `_${token.split("").reverse().join("")}.mock.acm-validations.aws.`,
        };
    });
}

/** Outputs of a custom resource that the program reads, beyond its inputs. */
function customOutputs(type: string, name: string, inputs: State, region: string): State {
    const arn = `arn:aws:${serviceOf(type)}:${region}:${MOCK_ACCOUNT_ID}:${name}`;
    switch (type) {
        case "aws:ec2/instance:Instance":
            return { arn, privateIp: mockPrivateIp(name), availabilityZone: inputs.availabilityZone ?? `${region}a` };
        case "aws:lb/loadBalancer:LoadBalancer":
            return {
                arn,
                arnSuffix: `app/${name}/0123456789abcdef`,
                dnsName: `${inputs.internal ? "internal-" : ""}${name}-1234567890.${region}.elb.amazonaws.com`,
                zoneId: "ZWKZPGTI48KDX",
            };
        case "aws:ssm/document:Document":
            return { arn, name: `${name}-mock` };
        case "aws:lb/targetGroup:TargetGroup":
            return { arn, arnSuffix: `targetgroup/${name}/0123456789abcdef` };
        case "aws:cloudwatch/dashboard:Dashboard":
            return { arn, dashboardName: inputs.dashboardName };
        case "tls:index/privateKey:PrivateKey":
            return { privateKeyPem: `-----BEGIN PRIVATE KEY-----\nmock-key-${name}\n-----END PRIVATE KEY-----\n` };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
            return { certPem: `-----BEGIN CERTIFICATE-----\nmock-cert-${name}\n-----END CERTIFICATE-----\n` };
        case "tls:index/certRequest:CertRequest":
            return {
                certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\nmock-${name}\n-----END CERTIFICATE REQUEST-----\n`,
            };
        case "aws:rds/parameterGroup:ParameterGroup":
        case "aws:rds/subnetGroup:SubnetGroup":
        case "aws:elasticache/subnetGroup:SubnetGroup":
            // Autonamed by the provider, which mocks stand in for.
            return { arn, name: inputs.name ?? `${name}-mock` };
        case "aws:rds/instance:Instance": {
            const identifier = (inputs.identifier as string | undefined) ?? name;
            const address = `${identifier}.c0mock0rds0.${region}.rds.amazonaws.com`;
            const port = (inputs.port as number | undefined) ?? 3306;
            return {
                arn: `arn:aws:rds:${region}:${MOCK_ACCOUNT_ID}:db:${identifier}`,
                identifier,
                address,
                port,
                endpoint: `${address}:${port}`,
                resourceId: `db-${digest(identifier).slice(0, 26).toUpperCase()}`,
                masterUserSecrets: inputs.manageMasterUserPassword
                    ? [
                          {
                              secretArn: `arn:aws:secretsmanager:${region}:${MOCK_ACCOUNT_ID}:secret:rds!db-${identifier}-AbCdEf`,
                              secretStatus: "active",
                              kmsKeyId: "alias/aws/secretsmanager",
                          },
                      ]
                    : [],
            };
        }
        case "aws:ec2/launchTemplate:LaunchTemplate":
            return { arn, latestVersion: 1, defaultVersion: 1 };
        case "aws:autoscaling/group:Group":
            // Autonamed by the provider, which mocks stand in for.
            return { arn, name: inputs.name ?? `${name}-mock` };
        case "aws:elasticache/cluster:Cluster": {
            const clusterId = (inputs.clusterId as string | undefined) ?? `${name}-mock`;
            const nodes = Number(inputs.numCacheNodes ?? 1);
            const port = (inputs.port as number | undefined) ?? 11211;
            return {
                arn,
                clusterId,
                cacheNodes: Array.from({ length: nodes }, (_, index) => ({
                    id: String(index + 1).padStart(4, "0"),
                    address: `${clusterId}.${String(index + 1).padStart(4, "0")}.mock.cache.amazonaws.com`,
                    port,
                    availabilityZone: (inputs.preferredAvailabilityZones as string[] | undefined)?.[index],
                })),
            };
        }
        case "aws:opensearch/domain:Domain": {
            const domain = (inputs.domainName as string | undefined) ?? name;
            const endpoint = `vpc-${domain}-mock.${region}.es.amazonaws.com`;
            // The generic ARN: the log publishing policy computes the real-looking one itself, and
            // the same string in both would read as a dependency on the domain.
            return {
                arn,
                endpoint,
                dashboardEndpoint: `${endpoint}/_dashboards`,
            };
        }
        case "aws:dms/replicationInstance:ReplicationInstance":
            return { replicationInstanceArn: `arn:aws:dms:${region}:${MOCK_ACCOUNT_ID}:rep:${name.toUpperCase()}` };
        case "aws:dms/endpoint:Endpoint":
            return { endpointArn: `arn:aws:dms:${region}:${MOCK_ACCOUNT_ID}:endpoint:${name.toUpperCase()}` };
        case "aws:dms/replicationTask:ReplicationTask":
            return { replicationTaskArn: `arn:aws:dms:${region}:${MOCK_ACCOUNT_ID}:task:${name.toUpperCase()}` };
        case MIGRATION_GATE_TYPE:
            // What the gate's provider returns once the task it watches has passed.
            return { passedAt: MOCK_GATE_PASSED_AT };
        case "aws:acm/certificate:Certificate":
            // An imported certificate (a private key given) has nothing to validate.
            return {
                arn: `arn:aws:acm:${region}:${MOCK_ACCOUNT_ID}:certificate/${digest(name).slice(0, 8)}-mock`,
                domainValidationOptions: inputs.privateKey ? [] : acmValidationOptions(inputs),
            };
        case "aws:route53/record:Record":
            return { fqdn: String(inputs.name).replace(/\.$/, "") };
        case "aws:route53/zone:Zone":
            return { arn, zoneId: `Z${digest(name).slice(0, 12).toUpperCase()}` };
        case "aws:secretsmanager/secret:Secret":
            return { arn: `arn:aws:secretsmanager:${region}:${MOCK_ACCOUNT_ID}:secret:${name}-AbCdEf` };
        case "aws:s3/bucket:Bucket":
            return { arn: `arn:aws:s3:::${name}-mock`, bucket: `${name}-mock` };
        case "aws:iam/role:Role":
        case "aws:iam/instanceProfile:InstanceProfile":
            return { arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${name}`, name: `${name}-mock` };
        case "random:index/randomPassword:RandomPassword":
            // Recognisable, so tests can prove it never leaks into user data or outputs.
            return { result: `mock-password-${digest(name).slice(0, 16)}` };
        default:
            return { arn };
    }
}

/**
 * The public hosted zone the shipped stack files name, a placeholder under the
 * reserved `.example` top-level domain (RFC 2606) that no real zone can have.
 */
export const PLACEHOLDER_ZONE = "scale-tiers.example";

/** The id the mocks give the public hosted zone `name`. */
export function mockPublicZoneId(name: string): string {
    return `Z${digest(`public-zone:${name}`).slice(0, 20).toUpperCase()}`;
}

/**
 * route53.getZone as Route 53 answers it: public zones exist for any name
 * under `.example` (found by name, and the placeholder's also by its id);
 * anything else is not found, as an unknown zone fails a real preview.
 */
function publicZoneResult(inputs: State): State {
    const byId = typeof inputs.zoneId === "string" ? inputs.zoneId : undefined;
    const name = byId ? (byId === mockPublicZoneId(PLACEHOLDER_ZONE) ? PLACEHOLDER_ZONE : undefined) : inputs.name;
    if (typeof name !== "string" || !name.endsWith(".example") || inputs.privateZone === true) {
        throw new Error(`no matching Route 53 Hosted Zone found (${byId ?? String(inputs.name)})`);
    }
    const zoneId = mockPublicZoneId(name);
    return { id: zoneId, zoneId, name, privateZone: false, arn: `arn:aws:route53:::hostedzone/${zoneId}` };
}

/** Calls (data sources) the program makes; any other call fails the run, so none goes unnoticed. */
function callResult(token: string, inputs: State): State {
    switch (token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return { accountId: MOCK_ACCOUNT_ID, arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/mock`, userId: "AIDAMOCK" };
        case "aws:ssm/getParameter:getParameter": {
            const parameter = String(inputs.name);
            const arch = parameter.endsWith("arm64") ? "arm64" : "x86_64";
            return {
                name: parameter,
                type: "String",
                value: `ami-al2023-${arch}`,
                insecureValue: `ami-al2023-${arch}`,
            };
        }
        case "aws:elb/getServiceAccount:getServiceAccount":
            return { id: "600734575887", arn: MOCK_ELB_ACCOUNT_ARN };
        case "aws:route53/getZone:getZone":
            return publicZoneResult(inputs);
        default:
            throw new Error(`no mock for call ${token}`);
    }
}

/** The type of the stack's read of its own outputs (stacks/deployed-state.ts). */
export const STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference";

/** The one stack a program may reference under mocks (its own), and the outputs its last update left. */
export interface MockStackReference {
    /** `<organization>/<project>/<stack>`. */
    readonly name: string;
    /** The outputs the reference returns; none: a stack that was never deployed. */
    readonly outputs: Record<string, unknown>;
}

export function awsMocks(region: string, stackReference?: MockStackReference): pulumi.runtime.Mocks {
    return {
        newResource(args: pulumi.runtime.MockResourceArgs) {
            const inputs = args.inputs as State;
            if (args.type === STACK_REFERENCE_TYPE) {
                if (!stackReference || inputs.name !== stackReference.name) {
                    throw new Error(
                        `the program references stack ${String(inputs.name)}; the mocks know only ${stackReference?.name ?? "none"}`,
                    );
                }
                const state = { name: stackReference.name, outputs: stackReference.outputs, secretOutputNames: [] };
                return { id: stackReference.name, state };
            }
            if (args.type === "awsx:ec2:Vpc") {
                return { id: `${args.name}-id`, state: vpcOutputs(args.name, inputs) };
            }
            if (!args.custom) {
                return { id: "", state: inputs };
            }
            const state = { ...inputs, ...customOutputs(args.type, args.name, inputs, region) };
            return { id: `${args.name}-id`, state };
        },
        call(args: pulumi.runtime.MockCallArgs) {
            return callResult(args.token, args.inputs as State);
        },
    };
}
