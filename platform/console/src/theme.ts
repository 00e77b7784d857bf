import { createTheme, type MantineColorsTuple } from '@mantine/core';

// The console's one theme: Switchboard blue (the legacy stylesheet's --accent, #1f5fbf, is shade 6).
const switchboard: MantineColorsTuple = ['#e8f0fc', '#cfdef5', '#9dbbea', '#6896e0', '#3f77d6', '#2865d1', '#1f5fbf', '#174a96', '#103a78', '#082b5c'];

export const theme = createTheme({
  primaryColor: 'switchboard',
  colors: { switchboard },
  primaryShade: 6,
  fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
  fontFamilyMonospace: "ui-monospace, 'SFMono-Regular', 'Cascadia Mono', 'DejaVu Sans Mono', Menlo, Consolas, monospace",
  headings: { fontWeight: '650' },
  defaultRadius: 'sm',
  // Keyboard users always see where they are (the e2e test checks the ring on nav links).
  focusRing: 'auto',
  components: {
    Button: { defaultProps: { radius: 'sm' } },
    Paper: { defaultProps: { withBorder: true, radius: 'md', p: 'lg' } },
  },
});
