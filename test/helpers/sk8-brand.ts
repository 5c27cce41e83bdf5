/**
 * A skateboard brand for the learning tests (adaptation, `earshot learn`, the daemon's automatic
 * learn): ordinary mentions the team handles as the analyzer labelled them (confirmations, not
 * corrections), in the time order the tests store them.
 */
export const SK8_ORDINARY: readonly string[] = [
  'sk8co opens a new shop in Lisbon next month',
  'the sk8co team video drops on friday',
  'anyone tried the sk8co 8.25 deck yet?',
  'sk8co shipped my order in two days, great service',
  'sk8co customer support never answered my email, annoying',
  'new sk8co wheels in stock at the local shop',
  'sk8co sponsors the city skate jam this summer',
  'love the colours on the sk8co spring collection',
  'sk8co griptape arrived torn, really disappointed',
  'sk8co posted the results of the contest',
  'my sk8co bearings are still fine after a year',
  'sk8co raised prices again, not happy',
  'sk8co announces a collab with a local artist',
  'the sk8co warehouse sale starts tomorrow',
  'is the sk8co shop open on sundays?',
  'sk8co deck snapped after a week, poor quality',
];
