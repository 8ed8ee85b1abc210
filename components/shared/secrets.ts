/**
 * Generated credentials: a random password, stored as a JSON secret in Secrets
 * Manager. The plain text exists only in Pulumi state, as a secret, and in
 * Secrets Manager; servers fetch it with their role at boot.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** Special characters that need no quoting in SQL, MySQL option files, JSON or a shell word. */
export const PASSWORD_SPECIALS = "!#%*+-.:=?^_~";

/**
 * 32 characters with at least two of each of lower case, upper case and
 * digits, specials from PASSWORD_SPECIALS. Every input of a random password
 * regenerates it: never edit this for servers that already use it.
 */
export const MIXED_PASSWORD: random.RandomPasswordArgs = {
    length: 32,
    special: true,
    overrideSpecial: PASSWORD_SPECIALS,
    minLower: 2,
    minUpper: 2,
    minNumeric: 2,
};

export interface GeneratedSecret {
    readonly arn: pulumi.Output<string>;
    /** The stored value: servers that read the secret at boot depend on it. */
    readonly version: aws.secretsmanager.SecretVersion;
}

export interface GeneratedSecretArgs {
    description: string;
    /** How the password is generated. Default: 32 letters and digits. */
    password?: random.RandomPasswordArgs;
    /** The secret's JSON content, given the password. */
    content: (password: string) => Record<string, string | number>;
}

/** Creates `<name>-password`, `<name>-secret` and `<name>-secret-version`. */
export function generatedSecret(name: string, args: GeneratedSecretArgs, parent: pulumi.Resource): GeneratedSecret {
    const opts = { parent };
    const password = new random.RandomPassword(
        `${name}-password`,
        args.password ?? { length: 32, special: false },
        opts,
    );
    const secret = new aws.secretsmanager.Secret(
        `${name}-secret`,
        { description: args.description, recoveryWindowInDays: 30 },
        opts,
    );
    const version = new aws.secretsmanager.SecretVersion(
        `${name}-secret-version`,
        {
            secretId: secret.id,
            secretString: pulumi.secret(password.result.apply((value) => JSON.stringify(args.content(value)))),
        },
        opts,
    );
    return { arn: secret.arn, version };
}
