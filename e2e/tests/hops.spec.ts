// The record pane's Hops timeline: a cell run on the echo kernel crosses browser → wirebook →
// kernel and back, and each of the four records shows the same timeline, with the latency of
// each step and the round trip.
import { test, expect, expectConnected, run } from './wirebook';

test('an echo run shows its latency per hop from any of its records', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expectConnected(page);
  await run(page, 0, 'hops-e2e');
  await expect(page.getByTestId('cell')).toHaveCount(2);

  const sent = page
    .locator('[data-testid=capture-row][data-hop=kernel][data-direction=to_server][data-event=frame]')
    .filter({ hasText: 'hops-e2e' });
  await sent.first().click();

  const timeline = page.getByTestId('hop-timeline');
  const steps = timeline.getByTestId('hop-step');
  await expect(steps).toHaveCount(4);
  await expect(steps.nth(0)).toContainText('browser → wirebook');
  await expect(steps.nth(1)).toContainText('wirebook → kernel');
  await expect(steps.nth(2)).toContainText('kernel → wirebook');
  await expect(steps.nth(3)).toContainText('wirebook → browser');
  const latency = /^\+[\d.]+ (µs|ms|s) /;
  await expect(steps.nth(0).getByTestId('hop-latency')).toHaveText('');
  await expect(steps.nth(1).getByTestId('hop-latency')).toHaveText(latency);
  await expect(steps.nth(1).getByTestId('hop-latency')).toContainText('wirebook relayed it');
  await expect(steps.nth(2).getByTestId('hop-latency')).toContainText("the kernel's answer");
  await expect(steps.nth(3).getByTestId('hop-latency')).toContainText('wirebook relayed it back');
  await expect(page.getByTestId('hop-round-trip')).toHaveText(/^round trip [\d.]+ (µs|ms|s)$/);
  await expect(page.getByTestId('hop-paired-by')).toHaveText(
    'answer paired by the first message back on its connection',
  );
  await expect(page.getByTestId('hop-missing')).toHaveCount(0);

  // The output relayed to the browser is the same exchange seen from its end.
  const seqs = await steps.getByRole('button').allTextContents();
  await steps.nth(3).getByRole('button').click();
  await expect(page.getByTestId('frame-detail')).toContainText(seqs[3].split(' ')[0]);
  await expect(steps).toHaveCount(4);
  expect(await steps.getByRole('button').allTextContents()).toEqual(seqs);
});
