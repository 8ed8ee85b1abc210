/** IAM documents more than one component needs. */

/**
 * A trust policy that lets an AWS service assume the role only on behalf of
 * resources in `accountId`: the confused-deputy guard.
 */
export function serviceTrustPolicy(service: string, accountId: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Service: service },
                Action: "sts:AssumeRole",
                Condition: { StringEquals: { "aws:SourceAccount": accountId } },
            },
        ],
    });
}
