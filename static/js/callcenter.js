// Console: "Use for this call" puts an FAQ item into the call form (and its answer into an empty answer field).
document.addEventListener("click", function (event) {
  var pick = event.target.closest(".cc-pick");
  if (pick) {
    var list = document.getElementById("faq-picked");
    if (!list || list.querySelector('li[data-pk="' + pick.dataset.pk + '"]')) return;
    var li = document.createElement("li");
    li.dataset.pk = pick.dataset.pk;
    var input = document.createElement("input");
    input.type = "hidden"; input.name = "faq_items"; input.value = pick.dataset.pk;
    li.appendChild(input);
    li.appendChild(document.createTextNode(pick.dataset.question + " "));
    var remove = document.createElement("button");
    remove.type = "button"; remove.className = "button--link cc-unpick"; remove.textContent = list.dataset.removeLabel || "×";
    li.appendChild(remove);
    list.appendChild(li);
    var answer = document.getElementById("id_answer");
    if (answer && !answer.value.trim()) answer.value = pick.dataset.answer;
    pick.textContent = "✓ " + pick.textContent;
    return;
  }
  var unpick = event.target.closest(".cc-unpick");
  if (unpick) unpick.closest("li").remove();
});
