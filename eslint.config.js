// Lint for host code (Node). The DeviceScript firmware is checked by its own compiler
// (`fieldlink build`), which enforces the DeviceScript subset; the pure firmware core
// under firmware/src/core and the shared protocol/ package are typechecked by
// tsconfig.json as well. Compiled output (each package's dist/) is not linted.
import js from "@eslint/js"
import tseslint from "typescript-eslint"
import prettier from "eslint-config-prettier"

export default tseslint.config(
    {
        ignores: [
            "node_modules/**",
            "**/dist/**",
            "firmware/node_modules/**",
            "firmware/.devicescript/**",
            "firmware/src/**",
            "firmware/test/**",
            "firmware/probe/**",
            "bench/.scratch/**",
            ".scratch/**",
            ".cache/**",
        ],
    },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    // Layout is the formatter's (`npm run format`); lint keeps to what code means.
    prettier,
    {
        languageOptions: {
            globals: {
                process: "readonly",
                console: "readonly",
                Buffer: "readonly",
                setTimeout: "readonly",
                clearTimeout: "readonly",
                setInterval: "readonly",
                clearInterval: "readonly",
                URL: "readonly",
                setImmediate: "readonly",
            },
        },
        rules: {
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
            ],
            "@typescript-eslint/no-non-null-assertion": "off",
        },
    },
    {
        // The dashboard's page runs in the browser, as a classic script after uPlot's.
        files: ["dashboard/page/**/*.js"],
        languageOptions: {
            sourceType: "script",
            globals: {
                document: "readonly",
                fetch: "readonly",
                EventSource: "readonly",
                uPlot: "readonly",
                setInterval: "readonly",
            },
        },
    },
)
