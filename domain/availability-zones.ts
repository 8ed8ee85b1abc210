/**
 * The Availability Zones each region has, by the letter after the region's
 * name. Letters map to physical zones per account, and some accounts see
 * fewer of them (the letters of ap-northeast-1b and us-west-1's third zone
 * exist only for accounts that used them early), so a listed letter can
 * still be closed to an account; one not listed does not exist at all.
 * A region missing from the table is not checked, and the program says so.
 */
const AZ_LETTERS: Readonly<Record<string, string>> = {
    "us-east-1": "abcdef",
    "us-east-2": "abc",
    "us-west-1": "abc",
    "us-west-2": "abcd",
    "ca-central-1": "abd",
    "sa-east-1": "abc",
    "eu-central-1": "abc",
    "eu-west-1": "abc",
    "eu-west-2": "abc",
    "eu-west-3": "abc",
    "eu-north-1": "abc",
    "ap-south-1": "abc",
    "ap-northeast-1": "abcd",
    "ap-northeast-2": "abcd",
    "ap-northeast-3": "abc",
    "ap-southeast-1": "abc",
    "ap-southeast-2": "abc",
};

/** The AZ names of `region`, or undefined for a region the table does not know. */
export function regionZones(region: string): string[] | undefined {
    const letters = AZ_LETTERS[region];
    return letters === undefined ? undefined : [...letters].map((letter) => `${region}${letter}`);
}
