/**
 * Public ACM certificates validated through DNS records in a Route 53 zone the
 * program writes to, and the alias records that point names at a load balancer.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { TLS_POLICY } from "../../domain/tls";

/** A public hosted zone the program writes records into. */
export interface PublicZone {
    readonly zoneId: pulumi.Input<string>;
    readonly name: string;
}

/**
 * An ACM certificate for `names` (the first is its subject, the rest its
 * alternative names), the CNAME records that prove the zone is ours, and the
 * wait for ACM to issue it. The returned ARN resolves only once the
 * certificate is issued, so a listener given it is never created with a
 * pending certificate. ACM renews the certificate itself for as long as the
 * records stay.
 *
 * The records are named by host, never by position. ACM asks for the same
 * record for the same name in an account, so a replacement certificate keeps
 * them; `allowOverwrite` takes over one that a certificate issued outside
 * this stack left in the zone.
 */
export function dnsValidatedCertificate(
    name: string,
    args: { zone: PublicZone; names: readonly string[] },
    parent: pulumi.Resource,
): pulumi.Output<string> {
    const [subject, ...alternatives] = args.names;
    if (!subject) {
        throw new Error(`${name}: a certificate needs at least one name`);
    }
    const certificate = new aws.acm.Certificate(
        name,
        {
            domainName: subject,
            subjectAlternativeNames: alternatives,
            validationMethod: "DNS",
        },
        { parent },
    );
    const records = args.names.map((host) => {
        const option = certificate.domainValidationOptions.apply((options) => {
            const found = options.find((o) => o.domainName === host);
            if (!found) {
                throw new Error(`ACM returned no validation record for ${host}`);
            }
            return found;
        });
        return new aws.route53.Record(
            `${name}-validation-${host}`,
            {
                zoneId: args.zone.zoneId,
                name: option.resourceRecordName,
                type: option.resourceRecordType,
                records: [option.resourceRecordValue],
                ttl: 300,
                allowOverwrite: true,
            },
            { parent },
        );
    });
    const validation = new aws.acm.CertificateValidation(
        `${name}-validation`,
        { certificateArn: certificate.arn, validationRecordFqdns: records.map((record) => record.fqdn) },
        { parent },
    );
    return validation.certificateArn;
}

/**
 * `host` as an alias A record onto a load balancer. IPv4 only: the VPC's
 * subnets have no IPv6 blocks (docs/front-door.md), so neither has the load balancer.
 */
export function aliasRecord(
    name: string,
    args: { zoneId: pulumi.Input<string>; host: string; loadBalancer: aws.lb.LoadBalancer },
    parent: pulumi.Resource,
): aws.route53.Record {
    return new aws.route53.Record(
        name,
        {
            zoneId: args.zoneId,
            name: args.host,
            type: "A",
            aliases: [
                { name: args.loadBalancer.dnsName, zoneId: args.loadBalancer.zoneId, evaluateTargetHealth: true },
            ],
        },
        { parent },
    );
}

/** `${name}-https`: HTTPS on 443 with the estate's TLS policy and `certificateArn`, as every ALB serves it. */
export function httpsListener(
    name: string,
    args: {
        loadBalancerArn: pulumi.Input<string>;
        certificateArn: pulumi.Input<string>;
        defaultActions: aws.types.input.lb.ListenerDefaultAction[];
    },
    parent: pulumi.Resource,
): aws.lb.Listener {
    return new aws.lb.Listener(
        `${name}-https`,
        {
            loadBalancerArn: args.loadBalancerArn,
            port: 443,
            protocol: "HTTPS",
            sslPolicy: TLS_POLICY,
            certificateArn: args.certificateArn,
            defaultActions: args.defaultActions,
        },
        { parent },
    );
}
