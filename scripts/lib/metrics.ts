/** Classification figures: accuracy, macro-F1, macro-recall, per-class precision/recall/F1. */

export interface ClassFigures {
  precision: number;
  recall: number;
  f1: number;
}

export interface Figures {
  n: number;
  accuracy: number;
  macroF1: number;
  macroRecall: number;
  perClass: ClassFigures[];
}

export function computeFigures(gold: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): Figures {
  const tp = new Array<number>(classes).fill(0);
  const goldCount = new Array<number>(classes).fill(0);
  const predCount = new Array<number>(classes).fill(0);
  let correct = 0;
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i]!;
    const p = predicted[i]!;
    goldCount[g]!++;
    if (p >= 0 && p < classes) predCount[p]!++;
    if (g === p) {
      tp[g]!++;
      correct++;
    }
  }
  const perClass: ClassFigures[] = [];
  for (let c = 0; c < classes; c++) {
    const precision = predCount[c]! > 0 ? tp[c]! / predCount[c]! : 0;
    const recall = goldCount[c]! > 0 ? tp[c]! / goldCount[c]! : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass.push({ precision, recall, f1 });
  }
  const present = perClass.filter((_c, i) => goldCount[i]! > 0);
  return {
    n: gold.length,
    accuracy: gold.length > 0 ? correct / gold.length : 0,
    macroF1: present.reduce((s, c) => s + c.f1, 0) / Math.max(1, present.length),
    macroRecall: present.reduce((s, c) => s + c.recall, 0) / Math.max(1, present.length),
    perClass,
  };
}
