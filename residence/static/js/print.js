// A button with data-print prints the page (the permit issue receipt).
document.addEventListener("click", (e) => {
  if (e.target instanceof Element && e.target.closest("[data-print]")) window.print();
});
