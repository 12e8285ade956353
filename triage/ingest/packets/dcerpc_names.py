"""DCE-RPC interface UUIDs and operation names (opnum order) from Microsoft's published protocol
specifications (MS-SRVS, MS-WKST, MS-SAMR, MS-LSAD/LSAT, MS-DRSR, MS-SCMR, MS-TSCH, MS-RRP,
MS-RPRN, MS-NRPC, MS-DFSNM, MS-EFSR, MS-EVEN, MS-DCOM, MS-WMI, MS-BKRP, MS-FSRVP), with the
endpoint names Zeek writes in dce_rpc.log."""

from collections.abc import Mapping


def _ops(names: str, start: int = 0) -> dict[int, str]:
    """Opnum → name from a space-separated run; "-" marks an opnum not used on the wire."""
    return {n: name for n, name in enumerate(names.split(), start=start) if name != "-"}


# IUnknown's three methods lead every DCOM interface's opnums.
_DCOM = 3

INTERFACES: Mapping[str, str] = {
    "4b324fc8-1670-01d3-1278-5a47bf6ee188": "srvsvc",
    "6bffd098-a112-3610-9833-46c3f87e345a": "wkssvc",
    "12345778-1234-abcd-ef00-0123456789ac": "samr",
    "12345778-1234-abcd-ef00-0123456789ab": "lsarpc",
    "c681d488-d850-11d0-8c52-00c04fd90f7e": "efsrpc",
    "df1941c5-fe89-4e79-bf10-463657acf44d": "efsrpc",
    "e3514235-4b06-11d1-ab04-00c04fc2dcd2": "drsuapi",
    "367abb81-9844-35f1-ad32-98f038001003": "svcctl",
    "1ff70682-0a51-30e8-076d-740be8cee98b": "atsvc",
    "378e52b0-c0a9-11cf-822d-00aa0051e40f": "sasec",
    "86d35949-83c9-4044-b424-db363231fd0c": "ITaskSchedulerService",
    "338cd001-2244-31f1-aaaa-900038001003": "winreg",
    "12345678-1234-abcd-ef00-0123456789ab": "spoolss",
    "76f03f96-cdfd-44fc-a22c-64950a001209": "IRemoteWinspool",
    "12345678-1234-abcd-ef00-01234567cffb": "netlogon",
    "4fc742e0-4a10-11cf-8273-00aa004ae673": "netdfs",
    "82273fdc-e32a-18c3-3f78-827929dc23ea": "eventlog",
    "f6beaff7-1e19-4fbb-9f8f-b89e2018337c": "IEventService",
    "e1af8308-5d1f-11c9-91a4-08002b14a0fa": "epmapper",
    "3dde7c30-165d-11d1-ab8f-00805f14db40": "BackupKey",
    "a8e0653c-2744-4389-a61d-7373df8b2292": "FileServerVssAgent",
    "3919286a-b10c-11d0-9ba8-00c04fd92ef5": "dssetup",
    "000001a0-0000-0000-c000-000000000046": "ISystemActivator",
    "4d9f4ab8-7d1c-11cf-861e-0020af6e7c57": "IActivation",
    "99fcfec4-5260-101b-bbcb-00aa0021347a": "IObjectExporter",
    "00000131-0000-0000-c000-000000000046": "IRemUnknown",
    "00000143-0000-0000-c000-000000000046": "IRemUnknown2",
    "f309ad18-d86a-11d0-a075-00c04fb68820": "IWbemLevel1Login",
    "9556dc99-828c-11cf-a37e-00aa003240c7": "IWbemServices",
    "027947e1-d731-11ce-a357-000000000001": "IEnumWbemClassObject",
    "44aca675-e8fc-11d0-a07c-00c04fb68820": "IWbemCallResult",
    "423ec01e-2e35-11d2-b604-00104b703efd": "IWbemWCOSmartEnum",
    "1c1c45ee-4395-11d2-b60b-00104b703efd": "IWbemFetchSmartEnum",
}

OPERATIONS: Mapping[str, Mapping[int, str]] = {
    "srvsvc": _ops(
        "NetrCharDevEnum NetrCharDevGetInfo NetrCharDevControl NetrCharDevQEnum NetrCharDevQGetInfo"
        " NetrCharDevQSetInfo NetrCharDevQPurge NetrCharDevQPurgeSelf NetrConnectionEnum"
        " NetrFileEnum NetrFileGetInfo NetrFileClose NetrSessionEnum NetrSessionDel NetrShareAdd"
        " NetrShareEnum NetrShareGetInfo NetrShareSetInfo NetrShareDel NetrShareDelSticky"
        " NetrShareCheck NetrServerGetInfo NetrServerSetInfo NetrServerDiskEnum"
        " NetrServerStatisticsGet NetrServerTransportAdd NetrServerTransportEnum"
        " NetrServerTransportDel NetrRemoteTOD - NetprPathType NetprPathCanonicalize"
        " NetprPathCompare NetprNameValidate NetprNameCanonicalize NetprNameCompare"
        " NetrShareEnumSticky NetrShareDelStart NetrShareDelCommit NetrGetFileSecurity"
        " NetrSetFileSecurity NetrServerTransportAddEx"
    ),
    "wkssvc": _ops(
        "NetrWkstaGetInfo NetrWkstaSetInfo NetrWkstaUserEnum - - NetrWkstaTransportEnum"
        " NetrWkstaTransportAdd NetrWkstaTransportDel NetrUseAdd NetrUseGetInfo NetrUseDel"
        " NetrUseEnum - NetrWorkstationStatisticsGet - - - - - - NetrGetJoinInformation -"
        " NetrJoinDomain2 NetrUnjoinDomain2 NetrRenameMachineInDomain2 NetrValidateName2"
        " NetrGetJoinableOUs2 NetrAddAlternateComputerName NetrRemoveAlternateComputerName"
        " NetrSetPrimaryComputerName NetrEnumerateComputerNames"
    ),
    "samr": _ops(
        "SamrConnect SamrCloseHandle SamrSetSecurityObject SamrQuerySecurityObject -"
        " SamrLookupDomainInSamServer SamrEnumerateDomainsInSamServer SamrOpenDomain"
        " SamrQueryInformationDomain SamrSetInformationDomain SamrCreateGroupInDomain"
        " SamrEnumerateGroupsInDomain SamrCreateUserInDomain SamrEnumerateUsersInDomain"
        " SamrCreateAliasInDomain SamrEnumerateAliasesInDomain SamrGetAliasMembership"
        " SamrLookupNamesInDomain SamrLookupIdsInDomain SamrOpenGroup SamrQueryInformationGroup"
        " SamrSetInformationGroup SamrAddMemberToGroup SamrDeleteGroup SamrRemoveMemberFromGroup"
        " SamrGetMembersInGroup SamrSetMemberAttributesOfGroup SamrOpenAlias"
        " SamrQueryInformationAlias SamrSetInformationAlias SamrDeleteAlias SamrAddMemberToAlias"
        " SamrRemoveMemberFromAlias SamrGetMembersInAlias SamrOpenUser SamrDeleteUser"
        " SamrQueryInformationUser SamrSetInformationUser SamrChangePasswordUser"
        " SamrGetGroupsForUser SamrQueryDisplayInformation SamrGetDisplayEnumerationIndex - -"
        " SamrGetUserDomainPasswordInformation SamrRemoveMemberFromForeignDomain"
        " SamrQueryInformationDomain2 SamrQueryInformationUser2 SamrQueryDisplayInformation2"
        " SamrGetDisplayEnumerationIndex2 SamrCreateUser2InDomain SamrQueryDisplayInformation3"
        " SamrAddMultipleMembersToAlias SamrRemoveMultipleMembersFromAlias"
        " SamrOemChangePasswordUser2 SamrUnicodeChangePasswordUser2"
        " SamrGetDomainPasswordInformation SamrConnect2 SamrSetInformationUser2 - - -"
        " SamrConnect4 - SamrConnect5 SamrRidToSid SamrSetDSRMPassword SamrValidatePassword"
    ),
    "lsarpc": {
        **_ops(
            "LsarClose - LsarEnumeratePrivileges LsarQuerySecurityObject LsarSetSecurityObject -"
            " LsarOpenPolicy LsarQueryInformationPolicy LsarSetInformationPolicy -"
            " LsarCreateAccount LsarEnumerateAccounts LsarCreateTrustedDomain"
            " LsarEnumerateTrustedDomains LsarLookupNames LsarLookupSids LsarCreateSecret"
            " LsarOpenAccount LsarEnumeratePrivilegesAccount LsarAddPrivilegesToAccount"
            " LsarRemovePrivilegesFromAccount - - LsarGetSystemAccessAccount"
            " LsarSetSystemAccessAccount LsarOpenTrustedDomain LsarQueryInfoTrustedDomain"
            " LsarSetInformationTrustedDomain LsarOpenSecret LsarSetSecret LsarQuerySecret"
            " LsarLookupPrivilegeValue LsarLookupPrivilegeName LsarLookupPrivilegeDisplayName"
            " LsarDeleteObject LsarEnumerateAccountsWithUserRight LsarEnumerateAccountRights"
            " LsarAddAccountRights LsarRemoveAccountRights LsarQueryTrustedDomainInfo"
            " LsarSetTrustedDomainInfo LsarDeleteTrustedDomain LsarStorePrivateData"
            " LsarRetrievePrivateData LsarOpenPolicy2 LsarGetUserName LsarQueryInformationPolicy2"
            " LsarSetInformationPolicy2 LsarQueryTrustedDomainInfoByName"
            " LsarSetTrustedDomainInfoByName LsarEnumerateTrustedDomainsEx"
            " LsarCreateTrustedDomainEx - LsarQueryDomainInformationPolicy"
            " LsarSetDomainInformationPolicy LsarOpenTrustedDomainByName - LsarLookupSids2"
            " LsarLookupNames2 LsarCreateTrustedDomainEx2"
        ),
        68: "LsarLookupNames3",
        73: "LsarQueryForestTrustInformation",
        74: "LsarSetForestTrustInformation",
        76: "LsarLookupSids3",
        77: "LsarLookupNames4",
    },
    "efsrpc": _ops(
        "EfsRpcOpenFileRaw EfsRpcReadFileRaw EfsRpcWriteFileRaw EfsRpcCloseRaw"
        " EfsRpcEncryptFileSrv EfsRpcDecryptFileSrv EfsRpcQueryUsersOnFile"
        " EfsRpcQueryRecoveryAgents EfsRpcRemoveUsersFromFile EfsRpcAddUsersToFile - "
        " EfsRpcNotSupported EfsRpcFileKeyInfo EfsRpcDuplicateEncryptionInfoFile -"
        " EfsRpcAddUsersToFileEx EfsRpcFileKeyInfoEx - EfsRpcGetEncryptedFileMetadata"
        " EfsRpcSetEncryptedFileMetadata EfsRpcFlushEfsCache EfsRpcEncryptFileExSrv"
        " EfsRpcQueryProtectors"
    ),
    "drsuapi": _ops(
        "DRSBind DRSUnbind DRSReplicaSync DRSGetNCChanges DRSUpdateRefs DRSReplicaAdd"
        " DRSReplicaDel DRSReplicaModify DRSVerifyNames DRSGetMemberships DRSInterDomainMove"
        " DRSGetNT4ChangeLog DRSCrackNames DRSWriteSPN DRSRemoveDsServer DRSRemoveDsDomain"
        " DRSDomainControllerInfo DRSAddEntry DRSExecuteKCC DRSGetReplInfo DRSAddSidHistory"
        " DRSGetMemberships2 DRSReplicaVerifyObjects DRSGetObjectExistence DRSQuerySitesByCost"
        " DRSInitDemotion DRSReplicaDemotion DRSFinishDemotion DRSAddCloneDC DRSWriteNgcKey"
        " DRSReadNgcKey"
    ),
    # Zeek names the Service Control Manager calls without MS-SCMR's leading "R".
    "svcctl": _ops(
        "CloseServiceHandle ControlService DeleteService LockServiceDatabase"
        " QueryServiceObjectSecurity SetServiceObjectSecurity QueryServiceStatus"
        " SetServiceStatus UnlockServiceDatabase NotifyBootConfigStatus - ChangeServiceConfigW"
        " CreateServiceW EnumDependentServicesW EnumServicesStatusW OpenSCManagerW OpenServiceW"
        " QueryServiceConfigW QueryServiceLockStatusW StartServiceW GetServiceDisplayNameW"
        " GetServiceKeyNameW - ChangeServiceConfigA CreateServiceA EnumDependentServicesA"
        " EnumServicesStatusA OpenSCManagerA OpenServiceA QueryServiceConfigA"
        " QueryServiceLockStatusA StartServiceA GetServiceDisplayNameA GetServiceKeyNameA -"
        " EnumServiceGroupW ChangeServiceConfig2A ChangeServiceConfig2W QueryServiceConfig2A"
        " QueryServiceConfig2W QueryServiceStatusEx EnumServicesStatusExA EnumServicesStatusExW"
        " - CreateServiceWOW64A CreateServiceWOW64W"
    ),
    "atsvc": _ops("NetrJobAdd NetrJobDel NetrJobEnum NetrJobGetInfo"),
    "sasec": _ops(
        "SASetAccountInformation SASetNSAccountInformation SAGetNSAccountInformation"
        " SAGetAccountInformation"
    ),
    "ITaskSchedulerService": _ops(
        "SchRpcHighestVersion SchRpcRegisterTask SchRpcRetrieveTask SchRpcCreateFolder"
        " SchRpcSetSecurity SchRpcGetSecurity SchRpcEnumFolders SchRpcEnumTasks"
        " SchRpcEnumInstances SchRpcGetInstanceInfo SchRpcStopInstance SchRpcStop SchRpcRun"
        " SchRpcDelete SchRpcRename SchRpcScheduledRuntimes SchRpcGetLastRunInfo"
        " SchRpcGetTaskInfo SchRpcGetNumberOfMissedRuns SchRpcEnableTask"
    ),
    "winreg": _ops(
        "OpenClassesRoot OpenCurrentUser OpenLocalMachine OpenPerformanceData OpenUsers"
        " BaseRegCloseKey BaseRegCreateKey BaseRegDeleteKey BaseRegDeleteValue BaseRegEnumKey"
        " BaseRegEnumValue BaseRegFlushKey BaseRegGetKeySecurity BaseRegLoadKey -"
        " BaseRegOpenKey BaseRegQueryInfoKey BaseRegQueryValue BaseRegReplaceKey"
        " BaseRegRestoreKey BaseRegSaveKey BaseRegSetKeySecurity BaseRegSetValue"
        " BaseRegUnLoadKey BaseInitiateSystemShutdown BaseAbortSystemShutdown BaseRegGetVersion"
        " OpenCurrentConfig - BaseRegQueryMultipleValues BaseInitiateSystemShutdownEx"
        " BaseRegSaveKeyEx OpenPerformanceText OpenPerformanceNlsText"
        " BaseRegQueryMultipleValues2 BaseRegDeleteKeyEx"
    ),
    "spoolss": {
        **_ops(
            "RpcEnumPrinters RpcOpenPrinter RpcSetJob RpcGetJob RpcEnumJobs RpcAddPrinter"
            " RpcDeletePrinter RpcSetPrinter RpcGetPrinter RpcAddPrinterDriver"
            " RpcEnumPrinterDrivers RpcGetPrinterDriver RpcGetPrinterDriverDirectory"
            " RpcDeletePrinterDriver RpcAddPrintProcessor RpcEnumPrintProcessors"
            " RpcGetPrintProcessorDirectory RpcStartDocPrinter RpcStartPagePrinter"
            " RpcWritePrinter RpcEndPagePrinter RpcAbortPrinter RpcReadPrinter RpcEndDocPrinter"
            " RpcAddJob RpcScheduleJob RpcGetPrinterData RpcSetPrinterData"
            " RpcWaitForPrinterChange RpcClosePrinter"
        ),
        46: "RpcAddMonitor",
        56: "RpcFindClosePrinterChangeNotification",
        58: "RpcReplyOpenPrinter",
        59: "RpcRouterReplyPrinter",
        60: "RpcReplyClosePrinter",
        61: "RpcAddPortEx",
        62: "RpcRemoteFindFirstPrinterChangeNotification",
        65: "RpcRemoteFindFirstPrinterChangeNotificationEx",
        66: "RpcRouterReplyPrinterEx",
        67: "RpcRouterRefreshPrinterChangeNotification",
        69: "RpcOpenPrinterEx",
        70: "RpcAddPrinterEx",
        89: "RpcAddPrinterDriverEx",
    },
    "netlogon": _ops(
        "NetrLogonUasLogon NetrLogonUasLogoff NetrLogonSamLogon NetrLogonSamLogoff"
        " NetrServerReqChallenge NetrServerAuthenticate NetrServerPasswordSet"
        " NetrDatabaseDeltas NetrDatabaseSync NetrAccountDeltas NetrAccountSync NetrGetDCName"
        " NetrLogonControl NetrGetAnyDCName NetrLogonControl2 NetrServerAuthenticate2"
        " NetrDatabaseSync2 NetrDatabaseRedo NetrLogonControl2Ex NetrEnumerateTrustedDomains"
        " DsrGetDcName NetrLogonGetCapabilities NetrLogonSetServiceBits NetrLogonGetTrustRid"
        " NetrLogonComputeServerDigest NetrLogonComputeClientDigest NetrServerAuthenticate3"
        " DsrGetDcNameEx DsrGetSiteName NetrLogonGetDomainInfo NetrServerPasswordSet2"
        " NetrServerPasswordGet NetrLogonSendToSam DsrAddressToSiteNamesW DsrGetDcNameEx2"
        " NetrLogonGetTimeServiceParentDomain NetrEnumerateTrustedDomainsEx"
        " DsrAddressToSiteNamesExW DsrGetDcSiteCoverageW NetrLogonSamLogonEx"
        " DsrEnumerateDomainTrusts DsrDeregisterDnsHostRecords NetrServerTrustPasswordsGet"
        " DsrGetForestTrustInformation NetrGetForestTrustInformation"
        " NetrLogonSamLogonWithFlags NetrServerGetTrustInfo"
    ),
    "netdfs": _ops(
        "NetrDfsManagerGetVersion NetrDfsAdd NetrDfsRemove NetrDfsSetInfo NetrDfsGetInfo"
        " NetrDfsEnum NetrDfsRename NetrDfsMove NetrDfsManagerGetConfigInfo"
        " NetrDfsManagerSendSiteInfo NetrDfsAddFtRoot NetrDfsRemoveFtRoot NetrDfsAddStdRoot"
        " NetrDfsRemoveStdRoot NetrDfsManagerInitialize NetrDfsAddStdRootForced"
    ),
    "eventlog": _ops(
        "ElfrClearELFW ElfrBackupELFW ElfrCloseEL ElfrDeregisterEventSource"
        " ElfrNumberOfRecords ElfrOldestRecord ElfrChangeNotify ElfrOpenELW"
        " ElfrRegisterEventSourceW ElfrOpenBELW ElfrReadELW ElfrReportEventW ElfrClearELFA"
        " ElfrBackupELFA ElfrOpenELA ElfrRegisterEventSourceA ElfrOpenBELA ElfrReadELA"
        " ElfrReportEventA"
    ),
    "epmapper": _ops(
        "ept_insert ept_delete ept_lookup ept_map ept_lookup_handle_free ept_inq_object"
        " ept_mgmt_delete"
    ),
    "BackupKey": _ops("BackuprKey"),
    "FileServerVssAgent": _ops(
        "GetSupportedVersion SetContext StartShadowCopySet AddToShadowCopySet"
        " CommitShadowCopySet ExposeShadowCopySet RecoveryCompleteShadowCopySet"
        " AbortShadowCopySet IsPathSupported IsPathShadowCopied GetShareMapping"
        " DeleteShareMapping PrepareShadowCopySet"
    ),
    "ISystemActivator": _ops("RemoteGetClassObject RemoteCreateInstance", _DCOM),
    "IActivation": _ops("RemoteActivation"),
    "IObjectExporter": _ops(
        "ResolveOxid SimplePing ComplexPing ServerAlive ResolveOxid2 ServerAlive2"
    ),
    "IRemUnknown": _ops("RemQueryInterface RemAddRef RemRelease", _DCOM),
    "IRemUnknown2": _ops("RemQueryInterface RemAddRef RemRelease RemQueryInterface2", _DCOM),
    "IWbemLevel1Login": _ops("EstablishPosition RequestChallenge WBEMLogin NTLMLogin", _DCOM),
    "IWbemServices": _ops(
        "OpenNamespace CancelAsyncCall QueryObjectSink GetObject GetObjectAsync PutClass"
        " PutClassAsync DeleteClass DeleteClassAsync CreateClassEnum CreateClassEnumAsync"
        " PutInstance PutInstanceAsync DeleteInstance DeleteInstanceAsync CreateInstanceEnum"
        " CreateInstanceEnumAsync ExecQuery ExecQueryAsync ExecNotificationQuery"
        " ExecNotificationQueryAsync ExecMethod ExecMethodAsync",
        _DCOM,
    ),
}


def endpoint_name(interface: str) -> str:
    """Zeek's endpoint name for an interface UUID; unknown ones keep their UUID."""
    return INTERFACES.get(interface, f"unknown-{interface}")


def operation_name(endpoint: str, opnum: int) -> str:
    return OPERATIONS.get(endpoint, {}).get(opnum, f"unknown-{opnum}")
