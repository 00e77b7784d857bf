import { Navigate, Route, Routes, useParams } from 'react-router';
import { NotFoundPage } from '../../platform/console/src/pages/NotFoundPage.tsx';
import { TodayPage } from './TodayPage.tsx';
import { BridgesPage } from './BridgesPage.tsx';
import { BridgePage } from './BridgePage.tsx';
import { BookingsPage } from './BookingsPage.tsx';
import { BookingFormPage } from './BookingFormPage.tsx';
import { CalendarPage } from './CalendarPage.tsx';
import { MeetingPage } from './MeetingPage.tsx';
import { TicketsPage } from './TicketsPage.tsx';

// Meetings (M1–M15): a page per route. /meetings/<id> is a meeting; the sections are static
// segments, which the router ranks above the id.
export function MeetingsPage() {
  return (
    <Routes>
      <Route index element={<TodayPage />} />
      <Route path="bridges" element={<BridgesPage />} />
      <Route path="bridges/:id" element={<BridgePage />} />
      <Route path="bookings" element={<BookingsPage />} />
      <Route path="bookings/new" element={<BookingFormPage />} />
      <Route path="calendar" element={<CalendarPage />} />
      <Route path="tickets" element={<TicketsPage />} />
      <Route path=":id" element={<MeetingPage />} />
      {/* Links of the earlier one-page console keep working. */}
      <Route path="meetings/:id" element={<OldMeetingLink />} />
      <Route path="book" element={<Navigate to="/meetings/bookings/new" replace />} />
      <Route path="ongoing" element={<Navigate to="/meetings" replace />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}

function OldMeetingLink() {
  const { id = '' } = useParams();
  return <Navigate to={`/meetings/${id}`} replace />;
}
