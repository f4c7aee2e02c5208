import { load, neverThrows } from "./common.mjs";

const { analyzers } = await load("catalog/index.js");

const ctx = {
  os: { family: "debian", version: "12", codename: "bookworm" },
  file: () => undefined,
  warn() {},
};

/** Every package an analyzer returns must be a usable record, not a half-parsed one. */
function checkPackages(name, pkgs) {
  if (!Array.isArray(pkgs)) throw new Error(`${name} returned ${typeof pkgs}`);
  for (const p of pkgs)
    if (typeof p.name !== "string" || typeof p.version !== "string" || typeof p.purl !== "string")
      throw new Error(`${name} returned a malformed package: ${JSON.stringify(p).slice(0, 200)}`);
}

// analyzer name → (corpus, the path the file sits at in an image)
const FILES = {
  dpkg: ["dpkg", "var/lib/dpkg/status"],
  apk: ["apk", "lib/apk/db/installed"],
  "npm-lock": ["npm-lock", "app/package-lock.json"],
  "yarn-lock": ["yarn-lock", "app/yarn.lock"],
  "pnpm-lock": ["pnpm-lock", "app/pnpm-lock.yaml"],
  "python-installed": ["python-metadata", "usr/lib/python3/site-packages/simple-0.1.0.dist-info/METADATA"],
  "python-poetry": ["python-poetry", "app/poetry.lock"],
  "python-pipenv": ["python-pipenv", "app/Pipfile.lock"],
  "python-requirements": ["python-requirements", "app/requirements.txt"],
  "rust-cargo-lock": ["cargo-lock", "app/Cargo.lock"],
  "ruby-gemfile-lock": ["gemfile-lock", "app/Gemfile.lock"],
  "php-composer-lock": ["composer-lock", "app/composer.lock"],
  "dotnet-deps": ["dotnet-deps", "app/WebApi.deps.json"],
  "dotnet-packages-lock": ["dotnet-packages-lock", "app/packages.lock.json"],
  "python-uv": ["python-uv", "app/uv.lock"],
  "npm-installed": ["npm-installed", "app/node_modules/left-pad/package.json"],
  "ruby-gemspec": ["gemspec", "usr/local/bundle/specifications/json-2.7.1.gemspec"],
  "php-composer-installed": ["composer-installed", "app/vendor/composer/installed.json"],
};

/**
 * Buffered catalog analyzers. Their contract (catalog/analyzer.ts) is "never throw on malformed
 * content: ctx.warn and skip", so any exception is a bug — catalogFiles would hide it as a warning
 * and drop that ecosystem's packages.
 */
export const targets = Object.entries(FILES).map(([name, [corpus, path]]) =>
  analyzerTarget(name, corpus, path),
);

function analyzerTarget(name, corpus, path) {
  const analyzer = analyzers.find((a) => a.name === name);
  if (!analyzer) throw new Error(`no analyzer ${name}`);
  if (!analyzer.match(path)) throw new Error(`analyzer ${name} does not want ${path}`);
  return {
    name,
    corpus,
    kind: path.endsWith(".json") ? "json" : "text",
    clean: neverThrows,
    run: async (buf) =>
      checkPackages(name, await analyzer.analyze([{ path, content: buf, mode: 0o644 }], ctx)),
  };
}

/**
 * Found by the fuzzer (test/fuzz/regressions/npm-lock/): a package name holding a lone UTF-16
 * surrogate ("\ud800" is valid JSON) made buildPurl throw URIError, and catalogFiles dropped every
 * package of that lockfile with one warning. Fixed in catalog/purl.ts.
 */
targets.push({
  ...analyzerTarget("npm-lock", "npm-lock", "app/package-lock.json"),
  name: "regression-npm-lock",
  regression: true,
});
