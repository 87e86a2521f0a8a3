// Declaration form: say which priority the matrix suggests for the impact and urgency chosen.
(function () {
  "use strict";
  var data = document.getElementById("priority-matrix");
  var note = document.getElementById("priority-suggestion");
  var impact = document.getElementById("id_impact_level");
  var urgency = document.getElementById("id_urgency");
  var priority = document.getElementById("id_priority");
  if (!data || !note || !impact || !urgency || !priority) {
    return;
  }
  var matrix = JSON.parse(data.textContent);

  function render(template, values) {
    note.textContent = "";
    template.split(/(\{priority\}|\{chosen\})/).forEach(function (part) {
      var key = part === "{priority}" ? "priority" : part === "{chosen}" ? "chosen" : null;
      if (key) {
        var strong = document.createElement("strong");
        strong.textContent = values[key];
        note.appendChild(strong);
      } else {
        note.appendChild(document.createTextNode(part));
      }
    });
  }

  function update() {
    if (!impact.value || !urgency.value) {
      render(note.dataset.none, {});
      return;
    }
    var suggested = (matrix[impact.value] || {})[urgency.value];
    if (!suggested) {
      render(note.dataset.unset, {});
      return;
    }
    var chosen = priority.value ? priority.options[priority.selectedIndex].text : "";
    if (chosen && chosen !== suggested) {
      render(note.dataset.differs, { priority: suggested, chosen: chosen });
    } else {
      render(note.dataset.suggests, { priority: suggested });
    }
  }

  [impact, urgency, priority].forEach(function (field) {
    field.addEventListener("change", update);
  });
  update();
})();
