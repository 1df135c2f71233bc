import { readFileSync } from 'node:fs';

/** One command from a ```sh block of the README, with the comment written after it. */
export interface ReadmeCommand {
  block: number;
  command: string;
  comment: string;
}

/**
 * The commands of the README's ```sh blocks, in order. A heredoc (`cat > file <<'X'` ... `X`) is one
 * command; a trailing `# comment` is kept apart (it says what the command prints, or `(AWS)`).
 */
export function readmeCommands(path = 'README.md'): ReadmeCommand[] {
  const text = readFileSync(path, 'utf8');
  const out: ReadmeCommand[] = [];
  let block = 0;
  for (const match of text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    block += 1;
    const lines = (match[1] ?? '').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] ?? '';
      if (line.trim() === '' || line.trim().startsWith('#')) continue;
      const heredoc = /<<'?(\w+)'?\s*$/.exec(line);
      if (heredoc) {
        const end = lines.indexOf(heredoc[1] ?? '', i + 1);
        out.push({ block, command: lines.slice(i, end + 1).join('\n'), comment: '' });
        i = end;
        continue;
      }
      const at = line.search(/\s#\s/);
      out.push({ block, command: (at >= 0 ? line.slice(0, at) : line).trim(), comment: at >= 0 ? line.slice(at).replace(/^\s*#\s*/, '') : '' });
    }
  }
  return out;
}

/** Commands that need an AWS account: marked `(AWS)` in their comment, or deploying. */
export const needsAws = (c: ReadmeCommand): boolean => /\(AWS\)/.test(c.comment) || /^npm run deploy\b|^npx serverless deploy\b|^aws /.test(c.command);
