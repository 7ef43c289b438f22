/* global document, navigator, setTimeout */
// Progressive enhancement only: every page works without this file.
// Copy buttons: <button class="copy" data-copy-target="element-id" data-copied="Copied" hidden>.
for (const button of document.querySelectorAll('button[data-copy-target]')) {
  if (!navigator.clipboard) continue;
  button.hidden = false;
  const label = button.textContent;
  button.addEventListener('click', async () => {
    const target = document.getElementById(button.dataset.copyTarget);
    if (!target) return;
    try {
      await navigator.clipboard.writeText(target.textContent.trim());
      button.textContent = button.dataset.copied || label;
      setTimeout(() => (button.textContent = label), 1500);
    } catch {
      // Clipboard access refused (e.g. insecure context): the ID stays selectable by hand.
    }
  });
}
// Print buttons: <button data-print hidden> (the browser's own print works without this file).
for (const button of document.querySelectorAll('button[data-print]')) {
  button.hidden = false;
  button.addEventListener('click', () => globalThis.print());
}
