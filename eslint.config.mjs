import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Files matching `files` may not import what matches one of `patterns`. */
function layer(files, patterns) {
    return { files: [files].flat(), rules: { "no-restricted-imports": ["error", { patterns }] } };
}

/**
 * Components import domain/, components/shared/ and components/userdata/, never stacks/ or another
 * component; a component split over files (`ownParts`, by file) imports its own parts.
 */
function componentLayers(ownParts) {
    const rules = (parts) => [
        {
            regex: "^\\.\\./(?!domain/)",
            message:
                "A component imports domain/, components/shared/ and components/userdata/, never stacks/ or above.",
        },
        {
            regex: `^\\./(?!shared/|userdata/${parts.map((part) => `|${part}$`).join("")})`,
            message: "A component does not import another component: move what both need to domain/.",
        },
    ];
    return [
        layer("components/*.ts", rules([])),
        ...Object.entries(ownParts).map(([file, parts]) => layer(file, rules(parts))),
    ];
}

export default tseslint.config(
    { ignores: ["node_modules/", "bin/"] },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
        files: ["**/*.ts"],
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        rules: {
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", ignoreRestSiblings: true }],
            "no-new": "off",
        },
    },
    // Layers point one way: index -> stacks (composition) -> components -> domain (types and pure logic).
    // plan/, policy/ and tests/ sit on top and may import any of them.
    layer("domain/**/*.ts", [
        { regex: "^\\.\\./", message: "domain/ is the bottom layer: it imports only domain/." },
        { regex: "^@pulumi/", message: "domain/ is pure logic: no Pulumi SDK." },
    ]),
    ...componentLayers({
        // The cutover gate is the migration component's own dynamic resource, in a file of its own because
        // Pulumi serializes a dynamic provider's code with what its module captures.
        "components/migration.ts": ["migration-gate"],
        "components/data.ts": ["data-rds"],
    }),
    layer(
        ["components/shared/**/*.ts", "components/userdata/**/*.ts"],
        [
            {
                regex: "^\\.\\./(?!\\.\\./domain/|shared/|userdata/)",
                message: "Helpers below components/ import domain/ and each other, never a component or stacks/.",
            },
        ],
    ),
    layer("stacks/**/*.ts", [
        {
            regex: "^\\.\\./(?!components/|domain/)",
            message: "stacks/ composes components/ over domain/; it never imports index, plan, policy or tests.",
        },
    ]),
    {
        // Plain JavaScript is outside tsconfig.json: no type information for the type-checked rules.
        files: ["**/*.js", "**/*.mjs"],
        ...tseslint.configs.disableTypeChecked,
    },
    {
        // The build step and the entry point around it run before anything is compiled: plain CommonJS on Node.
        files: ["**/*.js"],
        languageOptions: {
            sourceType: "commonjs",
            globals: { require: "readonly", module: "writable", process: "readonly", __dirname: "readonly" },
        },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
