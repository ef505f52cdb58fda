// A one-line progress bar for a terminal (stderr), redrawn at most ten times a second.

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

export function progressBar(stream: { write(text: string): unknown; isTTY?: boolean }, label: string): (done: number, total: number) => void {
  if (!stream.isTTY) return () => {};
  const started = Date.now();
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (done < total && now - last < 100) return;
    last = now;
    const width = 30;
    const fraction = total === 0 ? 1 : done / total;
    const filled = Math.round(fraction * width);
    const rate = done / Math.max((now - started) / 1000, 1e-3) / 1e6;
    stream.write(
      `\r${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${formatBytes(done)} ${rate.toFixed(0)} MB/s`,
    );
    if (done >= total) stream.write("\n");
  };
}
