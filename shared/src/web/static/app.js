// Conveniences only: every page works without this file.
// "Copy" buttons next to secrets shown once (backup codes, API key, recovery code).
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (source && navigator.clipboard) {
    navigator.clipboard.writeText(source.innerText.trim()).then(() => {
      button.textContent = button.dataset.copied || "Copied";
    });
  }
});
