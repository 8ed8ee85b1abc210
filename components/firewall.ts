/**
 * firewall: AWS WAF in front of the public load balancer. A regional web ACL
 * with AWS's managed rule groups (IP reputation, common exploits, known bad
 * inputs, SQL injection) and a per-IP rate limit; every request it matches is
 * logged to CloudWatch Logs with the credentials taken out, and a spike of
 * blocked requests raises an alarm. A count-only switch lets a rollout watch
 * what the rules would block before they do.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** AWS's managed rule groups the web ACL runs, in the order it evaluates them (cheapest and surest first). */
export const MANAGED_RULE_GROUPS = [
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
] as const;

/** The rate-based rule's name and metric. */
export const RATE_RULE = "per-ip-rate";

/** Request headers whose values never reach the log: they carry sessions and credentials. */
export const REDACTED_HEADERS = ["authorization", "cookie"] as const;

/** WAF writes to CloudWatch Logs only into log groups whose name starts so. */
export const WAF_LOG_GROUP_PREFIX = "aws-waf-logs-";

/** The window the rate rule counts over, seconds: the 5 minutes `ratePerIpPer5Minutes` is per. */
export const RATE_WINDOW_SECONDS = 300;

export interface WebFirewallArgs {
    region: string;
    /** Project and stack: the web ACL is `<project>-<stack>-web`, its log group `aws-waf-logs-<project>-<stack>`. */
    project: string;
    stack: string;
    /** The internet-facing Application Load Balancer the web ACL protects. */
    loadBalancerArn: pulumi.Input<string>;
    /** Requests one client IP may send in 5 minutes before the rate rule acts (10 to 2,000,000,000). */
    ratePerIpPer5Minutes: number;
    /** Count every match instead of blocking it. Default false. */
    countOnly: boolean;
    /** Days the request log is kept (a CloudWatch Logs value). */
    logRetentionDays: number;
    /** Where the blocked-requests alarm publishes. */
    alarmTopicArn: pulumi.Input<string>;
}

function visibility(metricName: string): aws.types.input.wafv2.WebAclRuleVisibilityConfig {
    return { cloudwatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true };
}

/**
 * The web ACL's rules. In count-only mode a managed group's matches are
 * counted (`overrideAction: count`) and the rate rule counts (`action:
 * count`); otherwise the groups act as AWS wrote them and the rate rule blocks.
 */
export function webAclRules(settings: {
    ratePerIpPer5Minutes: number;
    countOnly: boolean;
}): aws.types.input.wafv2.WebAclRule[] {
    const managed = MANAGED_RULE_GROUPS.map((group) => ({
        name: group,
        overrideAction: settings.countOnly ? { count: {} } : { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: "AWS", name: group } },
        visibilityConfig: visibility(group),
    }));
    const rate = {
        name: RATE_RULE,
        action: settings.countOnly ? { count: {} } : { block: {} },
        statement: {
            rateBasedStatement: {
                limit: settings.ratePerIpPer5Minutes,
                aggregateKeyType: "IP",
                evaluationWindowSec: RATE_WINDOW_SECONDS,
            },
        },
        visibilityConfig: visibility(RATE_RULE),
    };
    // Known-bad addresses go first; the rate limit next, before the costlier inspections.
    return [managed[0], rate, ...managed.slice(1)].map((rule, priority) => ({ ...rule, priority }));
}

export class WebFirewall extends pulumi.ComponentResource {
    public readonly webAclArn: pulumi.Output<string>;
    public readonly logGroupName: pulumi.Output<string>;

    constructor(name: string, args: WebFirewallArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scale-tiers:firewall:WebFirewall", name, {}, opts);
        const parent = { parent: this };
        const aclName = `${args.project}-${args.stack}-web`;

        const acl = new aws.wafv2.WebAcl(
            `${name}-acl`,
            {
                name: aclName,
                description: "Public load balancer: AWS managed rules and a per-IP rate limit",
                scope: "REGIONAL",
                defaultAction: { allow: {} },
                rules: webAclRules(args),
                visibilityConfig: visibility(aclName),
            },
            parent,
        );
        this.webAclArn = acl.arn;
        new aws.wafv2.WebAclAssociation(
            `${name}-association`,
            { resourceArn: args.loadBalancerArn, webAclArn: acl.arn },
            parent,
        );

        // WAF adds the log group's resource policy for its log delivery itself (AWSWAF-LOGS).
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            {
                name: `${WAF_LOG_GROUP_PREFIX}${args.project}-${args.stack}`,
                retentionInDays: args.logRetentionDays,
            },
            parent,
        );
        this.logGroupName = logGroup.name;
        new aws.wafv2.WebAclLoggingConfiguration(
            `${name}-logging`,
            {
                resourceArn: acl.arn,
                logDestinationConfigs: [logGroup.arn],
                redactedFields: REDACTED_HEADERS.map((header) => ({ singleHeader: { name: header } })),
            },
            parent,
        );

        // A spike against the metric's own history (an anomaly band), not a fixed count: what is
        // normal for a busy site would be an attack on a quiet one. In count-only mode nothing is
        // blocked, so the alarm watches what would have been.
        const metricName = args.countOnly ? "CountedRequests" : "BlockedRequests";
        new aws.cloudwatch.MetricAlarm(
            `${name}-blocked-requests`,
            {
                alarmDescription: `${metricName} of web ACL ${aclName} above its usual band for 10 minutes`,
                metricQueries: [
                    {
                        id: "requests",
                        returnData: true,
                        metric: {
                            namespace: "AWS/WAFV2",
                            metricName,
                            dimensions: { WebACL: aclName, Region: args.region, Rule: "ALL" },
                            period: RATE_WINDOW_SECONDS,
                            stat: "Sum",
                        },
                    },
                    { id: "band", expression: "ANOMALY_DETECTION_BAND(requests, 3)", returnData: true },
                ],
                thresholdMetricId: "band",
                comparisonOperator: "GreaterThanUpperThreshold",
                evaluationPeriods: 2,
                datapointsToAlarm: 2,
                treatMissingData: "notBreaching",
                alarmActions: [args.alarmTopicArn],
                okActions: [args.alarmTopicArn],
            },
            { parent: this, dependsOn: [acl] },
        );

        this.registerOutputs({ webAclArn: this.webAclArn, logGroupName: this.logGroupName });
    }
}
