/**
 * ci: the Jenkins controller (JENKINS_HOME on its own protected, snapshotted
 * volume), the artifact bucket, and the deploy path to the web servers:
 * an SSM document that every web server can run to install a release from
 * the bucket and restart the application. Jenkins starts it with Run Command
 * against the web servers' deploy-group tag, a few servers at a time, and the
 * rollout stops at the first failed health check. No SSH anywhere.
 */
import { DEPLOY_GROUP_TAG, RELEASES_PREFIX } from "../domain/delivery";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BootScriptBucket } from "./shared/boot";
import { privateBucket } from "./shared/bucket";
import { instanceRole } from "./shared/ec2";
import { generatedSecret } from "./shared/secrets";
import { allowHttpsOut, createSecurityGroup } from "./shared/rules";
import { JENKINS_AZ_INDEX } from "../domain/placement";
import { DATA_DEVICE_NAME, retiredServer, snapshotPolicy, statefulServer } from "./shared/server";
import { instanceScript } from "./userdata/render";

export const JENKINS_PORT = 8080;

/** A version name the deploy accepts: what a build number and a commit make, nothing a shell or a path could misread. */
export const VERSION_PATTERN = "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$";

/** The value of the deploy-group tag of a stack's web servers. */
export function webDeployGroup(stack: string): string {
    return `${stack}-web`;
}

/** The SSM document (schema 2.2) that installs a release on one web server. */
export function deployDocument(): string {
    return JSON.stringify({
        schemaVersion: "2.2",
        description:
            "Installs release {{ version }} of the application from the artifact bucket, restarts it and checks its health; " +
            "rolls back and fails when the check fails, which stops a rollout sent with max-errors 0.",
        parameters: {
            version: {
                type: "String",
                description: "Release to install: releases/<version>/app.tar.gz in the artifact bucket",
                allowedPattern: VERSION_PATTERN,
            },
        },
        mainSteps: [
            {
                action: "aws:runShellScript",
                name: "deploy",
                precondition: { StringEquals: ["platformType", "Linux"] },
                inputs: {
                    timeoutSeconds: "600",
                    // The web servers' bootstrap installs this tool; the parameter's pattern keeps the argument inert.
                    runCommand: ["/usr/local/sbin/scale-tiers-deploy '{{ version }}'"],
                },
            },
        ],
    });
}

export interface JenkinsPolicyInputs {
    region: string;
    accountId: string;
    stack: string;
    bucketArn: string;
    documentName: string;
    appVersionParameter: string;
    adminSecretArn: string;
}

/**
 * Jenkins may upload releases, run the deploy document on the web servers of
 * its own stack, follow the command, and record the deployed version. Nothing more.
 */
export function jenkinsPolicy(inputs: JenkinsPolicyInputs): string {
    const ssm = `arn:aws:ssm:${inputs.region}:${inputs.accountId}`;
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadOwnAdminSecret",
                Effect: "Allow",
                Action: "secretsmanager:GetSecretValue",
                Resource: inputs.adminSecretArn,
            },
            {
                Sid: "UploadReleases",
                Effect: "Allow",
                Action: "s3:PutObject",
                Resource: `${inputs.bucketArn}/${RELEASES_PREFIX}*`,
            },
            {
                Sid: "RunTheDeployDocument",
                Effect: "Allow",
                Action: "ssm:SendCommand",
                Resource: `${ssm}:document/${inputs.documentName}`,
            },
            {
                Sid: "OnThisStacksWebServers",
                Effect: "Allow",
                Action: "ssm:SendCommand",
                Resource: `arn:aws:ec2:${inputs.region}:${inputs.accountId}:instance/*`,
                Condition: { StringEquals: { [`ssm:resourceTag/${DEPLOY_GROUP_TAG}`]: webDeployGroup(inputs.stack) } },
            },
            {
                // These calls have no resource-level permissions.
                Sid: "FollowCommands",
                Effect: "Allow",
                Action: ["ssm:ListCommands", "ssm:ListCommandInvocations", "ssm:GetCommandInvocation"],
                Resource: "*",
            },
            {
                Sid: "RecordDeployedVersion",
                Effect: "Allow",
                Action: "ssm:PutParameter",
                Resource: `${ssm}:parameter${inputs.appVersionParameter}`,
            },
        ],
    });
}

export interface CiArgs {
    region: string;
    stackName: string;
    vpcId: pulumi.Input<string>;
    privateSubnetIds: pulumi.Input<string[]>;
    availabilityZones: readonly string[];
    instanceType: string;
    dataVolumeGiB: number;
    /** Days a release package is kept. */
    artifactRetentionDays: number;
    /** Web servers updated at a time, percent. */
    deployBatchPercent: number;
    /** SSM path of the web servers' settings; the deployed version is recorded under it. */
    appParameterPath: string;
    /** The URL people reach Jenkins at (through the internal load balancer). */
    jenkinsUrl: string;
    snapshotSelector: string;
    cloudWatchAgentParameter: string;
    /** Where the controller's boot script is published. */
    bootScripts: BootScriptBucket;
    /**
     * Jenkins ran and is removed: only JENKINS_HOME's volume stays, with a
     * final snapshot, and the artifact bucket with the releases the web
     * servers deploy from. Default false.
     */
    retired?: boolean;
}

export class Ci extends pulumi.ComponentResource {
    public readonly artifactBucketName: pulumi.Output<string>;
    public readonly artifactBucketArn: pulumi.Output<string>;
    /** The deploy document, the controller and its access; unset once Jenkins is retired. */
    public readonly deployDocumentName?: pulumi.Output<string>;
    public readonly adminSecretArn?: pulumi.Output<string>;
    public readonly instanceId?: pulumi.Output<string>;
    public readonly securityGroupId?: pulumi.Output<string>;
    public readonly roleName?: pulumi.Output<string>;

    constructor(name: string, args: CiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scale-tiers:ci:Ci", name, {}, opts);
        const parent = { parent: this };
        const appVersionParameter = `${args.appParameterPath}/app-version`;

        const artifacts = privateBucket(
            `${name}-artifacts`,
            {
                versioned: true,
                lifecycleRules: [
                    {
                        id: "age-releases",
                        status: "Enabled",
                        filter: { prefix: RELEASES_PREFIX },
                        transitions: [{ days: 30, storageClass: "STANDARD_IA" }],
                        expiration: { days: args.artifactRetentionDays },
                        noncurrentVersionExpiration: { noncurrentDays: 30 },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
                    },
                ],
                statements: () => [],
            },
            this,
        );
        this.artifactBucketName = artifacts.bucket.bucket;
        this.artifactBucketArn = artifacts.bucket.arn;
        if (args.retired) {
            // The same name, AZ and volume settings as the running controller's: any other would replace it.
            retiredServer(
                `${name}-jenkins`,
                {
                    availabilityZone: args.availabilityZones[JENKINS_AZ_INDEX],
                    dataVolume: { sizeGiB: args.dataVolumeGiB },
                    snapshotSelector: args.snapshotSelector,
                },
                this,
            );
            this.registerOutputs({ artifactBucketName: this.artifactBucketName });
            return;
        }

        const document = new aws.ssm.Document(
            `${name}-deploy`,
            { documentType: "Command", documentFormat: "JSON", content: deployDocument() },
            parent,
        );
        this.deployDocumentName = document.name;

        const adminSecret = generatedSecret(
            `${name}-admin`,
            { description: "Jenkins administrator", content: (password) => ({ username: "admin", password }) },
            this,
        );
        this.adminSecretArn = adminSecret.arn;

        const securityGroup = createSecurityGroup(`${name}-jenkins-sg`, args.vpcId, "Jenkins controller", this);
        this.securityGroupId = securityGroup.id;
        allowHttpsOut(`${name}-jenkins-out-https`, securityGroup.id, this);

        const accountId = aws.getCallerIdentityOutput({}, parent).accountId;
        const { role, profile, bootScripts } = instanceRole(
            `${name}-jenkins`,
            pulumi
                .all([accountId, artifacts.bucket.arn, document.name, adminSecret.arn])
                .apply(([account, bucketArn, documentName, adminSecretArn]) =>
                    jenkinsPolicy({
                        region: args.region,
                        accountId: account,
                        stack: args.stackName,
                        bucketArn,
                        documentName,
                        appVersionParameter,
                        adminSecretArn,
                    }),
                ),
            args.bootScripts,
            this,
        );
        this.roleName = role.name;

        const { instance } = statefulServer(
            `${name}-jenkins`,
            {
                availabilityZone: args.availabilityZones[JENKINS_AZ_INDEX],
                subnetId: pulumi.output(args.privateSubnetIds).apply((ids) => ids[JENKINS_AZ_INDEX]),
                instanceType: args.instanceType,
                securityGroupIds: [securityGroup.id],
                instanceProfile: profile.name,
                rootVolumeGiB: 30,
                dataVolume: { sizeGiB: args.dataVolumeGiB },
                snapshotSelector: args.snapshotSelector,
                bootScripts,
                bootScript: (volumeId) =>
                    pulumi
                        .all([volumeId, adminSecret.arn, artifacts.bucket.bucket, document.name])
                        .apply(([dataVolumeId, adminSecretArn, bucket, documentName]) =>
                            instanceScript("jenkins", {
                                AWS_REGION_NAME: args.region,
                                DATA_VOLUME_ID: dataVolumeId,
                                DATA_DEVICE_NAME,
                                ADMIN_SECRET_ARN: adminSecretArn,
                                JENKINS_URL: args.jenkinsUrl,
                                ARTIFACT_BUCKET: bucket,
                                DEPLOY_DOCUMENT: documentName,
                                DEPLOY_TARGET_TAG: `${DEPLOY_GROUP_TAG}=${webDeployGroup(args.stackName)}`,
                                APP_VERSION_PARAMETER: appVersionParameter,
                                DEPLOY_MAX_CONCURRENCY: `${args.deployBatchPercent}%`,
                                CLOUDWATCH_AGENT_PARAMETER: args.cloudWatchAgentParameter,
                                STACK_NAME: args.stackName,
                            }),
                        ),
                role: "jenkins",
                dependsOn: [adminSecret.version],
            },
            this,
        );
        this.instanceId = instance.id;

        snapshotPolicy(
            `${name}-snapshots`,
            {
                description: "Daily snapshots of JENKINS_HOME",
                selector: args.snapshotSelector,
                intervalHours: 24,
                retainCount: 14,
            },
            this,
        );

        this.registerOutputs({
            artifactBucketName: this.artifactBucketName,
            deployDocumentName: this.deployDocumentName,
        });
    }
}
