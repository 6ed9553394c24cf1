/** Where commands write: stdout for results, stderr for progress and messages. */
export interface Output {
  stdout(text: string): void;
  /** Resolves once the text is handed over (waits when the reader is slow). */
  stdoutAsync(text: string): Promise<void>;
  stderr(text: string): void;
  /** True when stderr is a terminal (progress lines can redraw). */
  readonly interactive: boolean;
}

export const processOutput: Output = {
  stdout: (text) => {
    process.stdout.write(text);
  },
  stdoutAsync: (text) =>
    new Promise((resolve, reject) => {
      process.stdout.write(text, (error) => (error ? reject(error) : resolve()));
    }),
  stderr: (text) => {
    process.stderr.write(text);
  },
  interactive: process.stderr.isTTY === true,
};
