import { useState } from 'react';
import { useNavigate } from 'react-router';
import { Button, Group, NativeSelect, Paper, Text } from '@mantine/core';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { ClusterForm } from './forms.tsx';
import { LicensingNav } from './parts.tsx';
import { ClusterTable } from './VirtualAccountPage.tsx';

export function ClustersPage() {
  const can = useCan();
  const navigate = useNavigate();
  const [adding, setAdding] = useState(false);
  const [assigned, setAssigned] = useState('');
  const [type, setType] = useState('');
  const mayManage = can('licensing.manage');
  const addButton = mayManage ? <Button onClick={() => setAdding(true)}>Add UC cluster</Button> : null;
  return (
    <>
      <PageHeader title="Clusters">{addButton}</PageHeader>
      <LicensingNav />
      <ClusterForm opened={adding} onClose={() => setAdding(false)} onAdded={(c) => void navigate(`/licensing/clusters/${c.id}`)} />
      <Paper component="section" aria-label="Cluster inventory">
        <Group align="flex-end" gap="sm" mb="sm">
          <NativeSelect label="Assignment" value={assigned} onChange={(e) => setAssigned(e.currentTarget.value)} data={[{ value: '', label: 'All' }, { value: 'true', label: 'Assigned' }, { value: 'false', label: 'Not assigned' }]} />
          <NativeSelect label="Type" value={type} onChange={(e) => setType(e.currentTarget.value)} data={[{ value: '', label: 'All' }, { value: 'CUCM', label: 'Unified CM' }, { value: 'CUC', label: 'Unity Connection' }]} />
        </Group>
        <ClusterTable
          caption="Clusters"
          query={{ assigned: assigned === '' ? undefined : assigned === 'true', type: type || undefined }}
          empty={
            assigned || type
              ? { title: 'No cluster matches', description: 'Choose All in the filters to see every cluster.' }
              : { title: 'No cluster yet', description: 'Add a Unified CM or Unity Connection cluster (its publisher address and credentials), then assign it to a virtual account.', action: addButton }
          }
        />
        <Text size="xs" c="dimmed" mt="xs">A cluster is licensed once it is assigned to a virtual account and registered with CSSM.</Text>
      </Paper>
    </>
  );
}
