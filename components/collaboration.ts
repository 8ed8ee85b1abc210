/**
 * collaboration: Jira, MediaWiki and WordPress, each on its own EC2 server
 * with its data (and its local database) on a protected, snapshotted volume,
 * behind an internal Application Load Balancer that routes by host name
 * (`jira.<domain>`, `wiki.<domain>`, `cms.<domain>`, and `jenkins.<domain>`
 * for the ci component's controller) and serves HTTPS only. Only the VPC and
 * the admin CIDRs from config reach the load balancer; nothing here is
 * reachable from the internet.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { HTTPS_REDIRECT } from "../domain/tls";
import { PublicZone, aliasRecord, dnsValidatedCertificate, httpsListener } from "./shared/certificate";
import { BootScriptBucket } from "./shared/boot";
import { instanceRole, readSecretsPolicy } from "./shared/ec2";
import { generatedSecret } from "./shared/secrets";
import { allowClients, allowHttpsOut, createSecurityGroup, ingressRule, vpcAndAdminPeers } from "./shared/rules";
import { toolAzIndex } from "../domain/placement";
import { DATA_DEVICE_NAME, retiredServer, snapshotPolicy, statefulServer } from "./shared/server";
import { ServerRole } from "./shared/telemetry";
import { UserDataScript, instanceScript } from "./userdata/render";
import { ToolName } from "../domain/stack-config";

/** What the load balancer needs to route to a server. */
export interface Backend {
    /** Host label: `<host>.<toolsDomain>`. */
    readonly host: string;
    readonly port: number;
    /** Path that answers 200 when the tool is up (the only code the health check accepts). */
    readonly healthPath: string;
    readonly instanceId: pulumi.Input<string>;
    readonly securityGroupId: pulumi.Input<string>;
    /** Listener rule priority, unique per load balancer. */
    readonly priority: number;
}

/** How each tool is served and installed. Jira's own Tomcat listens on 8080; the PHP tools sit behind nginx. */
export const TOOLS: Readonly<
    Record<ToolName, { port: number; healthPath: string; priority: number; script: UserDataScript }>
> = {
    jira: { port: 8080, healthPath: "/status", priority: 10, script: "jira" },
    // The PHP tools are checked through an application page (PHP, its files and database), as
    // their scripts' own readiness checks: nginx's /scale-tiers-health answered while every
    // WordPress page failed, and while the wiki's database was down. The wiki's is its REST API's
    // main page: MediaWiki answers a bare /index.php with a redirect (301) to the page's canonical
    // URL, before it reads anything from the database.
    wiki: { port: 80, healthPath: "/rest.php/v1/page/Main_Page", priority: 20, script: "wiki" },
    cms: { port: 80, healthPath: "/wp-login.php", priority: 30, script: "cms" },
};

/** Versions installed; pinned so that a rebuilt server runs what its data was written by. */
export const TOOL_VERSIONS = { jira: "10.3.6", mediawiki: "1.43.1" } as const;

export interface ToolSettings {
    readonly instanceType: string;
    readonly dataVolumeGiB: number;
}

export interface CollaborationArgs {
    region: string;
    stackName: string;
    vpcId: pulumi.Input<string>;
    vpcCidr: string;
    privateSubnetIds: pulumi.Input<string[]>;
    availabilityZones: readonly string[];
    /**
     * Tools that ran and are removed: each one's data volume stays, with a
     * final snapshot, under the name it had. Default none.
     */
    retiredTools?: Partial<Record<ToolName, { dataVolumeGiB: number }>>;
    /** Admin or VPN ranges allowed to the load balancer besides the VPC. */
    adminCidrs: readonly string[];
    /**
     * HTTPS on 443 (HTTP on 80 redirects to it): with a certificate issued
     * here for every tool's name, validated in the public zone that holds
     * `toolsDomain`, or with a certificate of your own (ACM ARN) for them.
     * Default: plain HTTP, for a demo.
     */
    tls?: { zone: PublicZone } | { certificateArn: string };
    /** The zone the tools' alias records go in: public with a domain, else the private one. */
    zoneId: pulumi.Input<string>;
    /** The tools are `<tool>.<toolsDomain>`: inside the zone of `zoneId`. */
    toolsDomain: string;
    /** Refuse deletion of the load balancer. */
    deletionProtection: boolean;
    /** Bucket the load balancer logs to (the estate's log bucket), and its policy, which must exist first. */
    accessLogBucket: pulumi.Input<string>;
    accessLogBucketPolicy: pulumi.Resource;
    /** Tools to run; absent ones are not created. */
    tools: Partial<Record<ToolName, ToolSettings>>;
    /** Servers of other components to route to (Jenkins). */
    extraBackends: readonly Backend[];
    snapshotSelector: string;
    agentParameter: (role: ServerRole) => string;
    /** Where the tools' boot scripts are published. */
    bootScripts: BootScriptBucket;
}

/** `<tool>.<toolsDomain>`. */
export function toolHostName(host: string, toolsDomain: string): string {
    return `${host}.${toolsDomain}`;
}

export class Collaboration extends pulumi.ComponentResource {
    public readonly loadBalancerDnsName: pulumi.Output<string>;
    /** `http(s)://<tool>.<zone>/` of every routed tool. */
    public readonly urls: Record<string, string>;
    public readonly instanceIds: Partial<Record<ToolName, pulumi.Output<string>>> = {};
    public readonly roleNames: Partial<Record<ToolName, pulumi.Output<string>>> = {};

    constructor(name: string, args: CollaborationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scale-tiers:collaboration:Collaboration", name, {}, opts);
        const parent = { parent: this };
        const https = args.tls !== undefined;
        const scheme = https ? "https" : "http";

        for (const [tool, retired] of Object.entries(args.retiredTools ?? {}) as [
            ToolName,
            { dataVolumeGiB: number },
        ][]) {
            // The same name, AZ and volume settings as the running tool's (createTool): any other would replace it.
            retiredServer(
                `${name}-${tool}`,
                {
                    availabilityZone: args.availabilityZones[toolAzIndex(tool, args.availabilityZones.length)],
                    dataVolume: { sizeGiB: retired.dataVolumeGiB },
                    snapshotSelector: args.snapshotSelector,
                },
                this,
            );
        }
        const backends: Backend[] = [...args.extraBackends];
        for (const tool of Object.keys(TOOLS) as ToolName[]) {
            const settings = args.tools[tool];
            if (settings) {
                backends.push(
                    this.createTool(name, tool, settings, `${scheme}://${toolHostName(tool, args.toolsDomain)}/`, args),
                );
            }
        }
        if (backends.length > args.extraBackends.length) {
            snapshotPolicy(
                `${name}-snapshots`,
                {
                    description: "Daily snapshots of the team tools data volumes",
                    selector: args.snapshotSelector,
                    intervalHours: 24,
                    retainCount: 14,
                },
                this,
            );
        }
        this.urls = Object.fromEntries(
            backends.map((b) => [b.host, `${scheme}://${toolHostName(b.host, args.toolsDomain)}/`]),
        );

        const lbSecurityGroup = createSecurityGroup(
            `${name}-alb-sg`,
            args.vpcId,
            "Internal load balancer of the team tools",
            this,
        );
        const listenerPorts = https ? [80, 443] : [80];
        const peers = vpcAndAdminPeers(args.vpcCidr, args.adminCidrs, {
            vpc: "Team tools from inside the VPC",
            admin: "Team tools from an admin network",
        });
        peers.forEach(({ cidr, ruleName, description, formerPosition }) =>
            listenerPorts.forEach((port) =>
                ingressRule(
                    `${name}-alb-in-${port}-${ruleName}`,
                    { securityGroupId: lbSecurityGroup.id, ports: { from: port }, peer: { cidr }, description },
                    this,
                    [{ name: `${name}-alb-in-${port}-${formerPosition}` }],
                ),
            ),
        );

        const loadBalancer = new aws.lb.LoadBalancer(
            `${name}-alb`,
            {
                loadBalancerType: "application",
                internal: true,
                subnets: args.privateSubnetIds,
                securityGroups: [lbSecurityGroup.id],
                dropInvalidHeaderFields: true,
                enableDeletionProtection: args.deletionProtection,
                accessLogs: { bucket: args.accessLogBucket, prefix: "tools-alb", enabled: true },
            },
            // ELB checks that it may write to the bucket when logging is switched on.
            { parent: this, dependsOn: [args.accessLogBucketPolicy] },
        );
        this.loadBalancerDnsName = loadBalancer.dnsName;

        const notFound = [
            {
                type: "fixed-response",
                fixedResponse: { contentType: "text/plain", messageBody: "unknown tool", statusCode: "404" },
            },
        ];
        const plainHttp = (dependsOn: pulumi.Resource[]) =>
            new aws.lb.Listener(
                `${name}-http`,
                {
                    loadBalancerArn: loadBalancer.arn,
                    port: 80,
                    protocol: "HTTP",
                    defaultActions: https ? [HTTPS_REDIRECT] : notFound,
                },
                { parent: this, dependsOn },
            );
        const serving = args.tls
            ? httpsListener(
                  name,
                  {
                      loadBalancerArn: loadBalancer.arn,
                      certificateArn:
                          "zone" in args.tls
                              ? dnsValidatedCertificate(
                                    `${name}-cert`,
                                    {
                                        zone: args.tls.zone,
                                        // One wildcard name: the certificate stays as tools are added or retired
                                        // (every one retired leaves no tool's name to issue it for).
                                        names: [toolHostName("*", args.toolsDomain)],
                                    },
                                    this,
                                )
                              : args.tls.certificateArn,
                      defaultActions: notFound,
                  },
                  this,
              )
            : plainHttp([]);
        const rules: aws.lb.ListenerRule[] = [];

        for (const backend of backends) {
            const host = toolHostName(backend.host, args.toolsDomain);
            const targetGroup = new aws.lb.TargetGroup(
                `${name}-${backend.host}-tg`,
                {
                    vpcId: args.vpcId,
                    targetType: "instance",
                    protocol: "HTTP",
                    port: backend.port,
                    healthCheck: {
                        enabled: true,
                        path: backend.healthPath,
                        // Not 3xx: WordPress not yet installed redirects every page to its installer.
                        matcher: "200",
                        interval: 30,
                        healthyThreshold: 2,
                        unhealthyThreshold: 3,
                    },
                },
                parent,
            );
            new aws.lb.TargetGroupAttachment(
                `${name}-${backend.host}-target`,
                { targetGroupArn: targetGroup.arn, targetId: backend.instanceId, port: backend.port },
                parent,
            );
            const rule = new aws.lb.ListenerRule(
                `${name}-${backend.host}-rule`,
                {
                    listenerArn: serving.arn,
                    priority: backend.priority,
                    conditions: [{ hostHeader: { values: [host] } }],
                    actions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
                },
                parent,
            );
            rules.push(rule);
            aliasRecord(`${name}-${backend.host}-dns`, { zoneId: args.zoneId, host, loadBalancer }, this);
            allowClients(
                `${name}-${backend.host}`,
                backend.securityGroupId,
                [lbSecurityGroup.id],
                { from: backend.port },
                backend.host,
                this,
            );
        }

        if (args.tls) {
            // HTTP redirects only once HTTPS serves every tool: after ACM has issued the certificate and the
            // host rules have moved to the HTTPS listener.
            plainHttp([serving, ...rules]);
        }

        this.registerOutputs({ loadBalancerDnsName: this.loadBalancerDnsName, urls: this.urls });
    }

    /** One tool's server: generated credentials, role, security group, and the server on its volume. */
    private createTool(
        name: string,
        tool: ToolName,
        settings: ToolSettings,
        baseUrl: string,
        args: CollaborationArgs,
    ): Backend {
        const toolName = `${name}-${tool}`;
        const secret = (kind: string, description: string, content: (password: string) => Record<string, string>) =>
            generatedSecret(`${toolName}-${kind}`, { description, content }, this);
        const database = secret("db", `${tool} database user`, (password) => ({
            username: tool,
            password,
            dbname: tool,
        }));
        const admin =
            tool === "jira"
                ? undefined
                : secret("admin", `${tool} administrator`, (password) => ({
                      username: "admin",
                      password,
                      email: `admin@${args.toolsDomain}`,
                  }));

        const securityGroup = createSecurityGroup(`${toolName}-sg`, args.vpcId, `${tool} server`, this);
        allowHttpsOut(`${toolName}-out-https`, securityGroup.id, this);
        const { role, profile, bootScripts } = instanceRole(
            toolName,
            readSecretsPolicy([database.arn, ...(admin ? [admin.arn] : [])]),
            args.bootScripts,
            this,
        );
        this.roleNames[tool] = role.name;

        const azIndex = toolAzIndex(tool, args.availabilityZones.length);
        const availabilityZone = args.availabilityZones[azIndex];
        const { instance } = statefulServer(
            toolName,
            {
                availabilityZone,
                subnetId: pulumi.output(args.privateSubnetIds).apply((ids) => ids[azIndex]),
                instanceType: settings.instanceType,
                securityGroupIds: [securityGroup.id],
                instanceProfile: profile.name,
                rootVolumeGiB: 30,
                dataVolume: { sizeGiB: settings.dataVolumeGiB },
                snapshotSelector: args.snapshotSelector,
                bootScripts,
                bootScript: (volumeId) =>
                    pulumi
                        .all([volumeId, database.arn, admin?.arn ?? ""])
                        .apply(([dataVolumeId, databaseArn, adminArn]) =>
                            instanceScript(TOOLS[tool].script, {
                                AWS_REGION_NAME: args.region,
                                DATA_VOLUME_ID: dataVolumeId,
                                DATA_DEVICE_NAME,
                                DB_SECRET_ARN: databaseArn,
                                BASE_URL: baseUrl,
                                CLOUDWATCH_AGENT_PARAMETER: args.agentParameter(tool),
                                ...(tool === "jira"
                                    ? { JIRA_VERSION: TOOL_VERSIONS.jira }
                                    : { ADMIN_SECRET_ARN: adminArn }),
                                ...(tool === "wiki" ? { MEDIAWIKI_VERSION: TOOL_VERSIONS.mediawiki } : {}),
                                ...(tool === "jira" ? {} : { HEALTH_PATH: TOOLS[tool].healthPath }),
                            }),
                        ),
                role: tool,
                dependsOn: [database.version, ...(admin ? [admin.version] : [])],
            },
            this,
        );
        this.instanceIds[tool] = instance.id;
        const { port, healthPath, priority } = TOOLS[tool];
        return { host: tool, port, healthPath, priority, instanceId: instance.id, securityGroupId: securityGroup.id };
    }
}
