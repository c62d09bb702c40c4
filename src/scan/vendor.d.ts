// Minimal typings for the two npm CLI libraries the scanner uses (neither ships its own).

declare module "npm-package-arg" {
  interface NpaResult {
    type: "git" | "tag" | "version" | "range" | "file" | "directory" | "remote" | "alias";
    name: string | null;
    rawSpec: string;
    subSpec?: NpaResult;
  }
  function npa(arg: string, where?: string): NpaResult;
  namespace npa {
    function resolve(name: string, spec: string, where?: string): NpaResult;
  }
  export = npa;
}

declare module "@npmcli/arborist" {
  interface Edge {
    name: string;
    spec: string;
    type: string;
    missing: boolean;
    invalid: boolean;
  }
  interface ArbNode {
    name: string;
    packageName: string;
    version: string;
    location: string;
    integrity: string | null;
    resolved: string | null;
    hasInstallScript: boolean;
    isLink: boolean;
    isProjectRoot: boolean;
    isWorkspace: boolean;
    inBundle: boolean;
    target: ArbNode;
    linksIn: Set<ArbNode>;
    edgesOut: Map<string, Edge>;
  }
  interface Tree extends ArbNode {
    inventory: Map<string, ArbNode>;
  }
  class Arborist {
    constructor(options: { path: string });
    loadVirtual(): Promise<Tree>;
  }
  export = Arborist;
}
