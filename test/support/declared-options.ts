import { readFile } from 'node:fs/promises';
import ts from 'typescript';

/** Where an options interface is declared. */
export interface OptionsSource {
  file: string;
  interfaceName: string;
}

/**
 * Every option the given interfaces declare, as dotted paths (`l1.maxEntries`, `bus.leaseMs`): members typed
 * with an inline object, or with another of the given interfaces, are listed with their own members.
 */
export async function declaredOptions(root: OptionsSource, others: readonly OptionsSource[]): Promise<string[]> {
  const declarations = new Map<string, ts.InterfaceDeclaration>();
  for (const source of [root, ...others]) {
    const file = ts.createSourceFile(source.file, await readFile(source.file, 'utf8'), ts.ScriptTarget.Latest, true);
    file.forEachChild((node) => {
      if (ts.isInterfaceDeclaration(node) && node.name.text === source.interfaceName) declarations.set(source.interfaceName, node);
    });
    if (!declarations.has(source.interfaceName)) throw new Error(`${source.interfaceName} not found in ${source.file}`);
  }
  const names: string[] = [];
  const walk = (members: ts.NodeArray<ts.TypeElement>, prefix: string) => {
    for (const member of members) {
      if (!ts.isPropertySignature(member) || !member.name || !ts.isIdentifier(member.name)) continue;
      const name = `${prefix}${member.name.text}`;
      names.push(name);
      const type = member.type;
      if (type && ts.isTypeLiteralNode(type)) walk(type.members, `${name}.`);
      if (type && ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) && declarations.has(type.typeName.text)) {
        walk(declarations.get(type.typeName.text)!.members, `${name}.`);
      }
    }
  };
  const rootDeclaration = declarations.get(root.interfaceName)!;
  walk(rootDeclaration.members, '');
  for (const heritage of rootDeclaration.heritageClauses ?? []) {
    for (const parent of heritage.types) {
      const declaration = ts.isIdentifier(parent.expression) ? declarations.get(parent.expression.text) : undefined;
      if (declaration) walk(declaration.members, '');
    }
  }
  return names.sort();
}
