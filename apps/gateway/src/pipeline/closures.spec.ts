import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

const ROOT = join(__dirname, '../../../..');
// Where per-request code lives.
const DIRS = ['apps/gateway/src', 'libs/common/src', 'libs/pricing/src', 'libs/providers/src'];
const ASSIGNMENTS = new Set([ts.SyntaxKind.EqualsToken, ts.SyntaxKind.QuestionQuestionEqualsToken, ts.SyntaxKind.BarBarEqualsToken, ts.SyntaxKind.AmpersandAmpersandEqualsToken]);

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(ROOT, dir, f));
}

/** `x.p = () => ...` and the like: a function literal assigned to a property (casts and parentheses looked through). */
function functionsAssignedToProperties(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && ASSIGNMENTS.has(node.operatorToken.kind) && (ts.isPropertyAccessExpression(node.left) || ts.isElementAccessExpression(node.left))) {
      let right: ts.Expression = node.right;
      while (ts.isParenthesizedExpression(right) || ts.isAsExpression(right) || ts.isSatisfiesExpression(right) || ts.isNonNullExpression(right) || ts.isTypeAssertionExpression(right)) right = right.expression;
      if (ts.isArrowFunction(right) || ts.isFunctionExpression(right) || ts.isClassExpression(right)) {
        found.push(`${relative(ROOT, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${node.left.getText(source)}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('closures made per request', () => {
  // V8 allocates a function literal assigned to a property in the old generation, as it would a
  // method. Made per request, such a closure holds its context, and whatever the request left in
  // it, through every scavenge until the next full GC: all of it is promoted. A closure made in
  // an object literal, or kept in a variable first, is allocated young.
  it('are never function literals assigned to a property', () => {
    expect(DIRS.flatMap(sources).flatMap(functionsAssignedToProperties)).toEqual([]);
  });
});
